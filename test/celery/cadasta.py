"""A Celery app set up as the Cadasta platform is: every producer publishes to one topic
exchange, the work queue is bound by routing key, and a task-monitor queue is bound with `#`, so a
copy of every task message lands there. Events are off (no task-sent, no task events), which is
what the tap (clearly --tap) is for.

Environment: CLEARLY_TEST_BROKER (required), CADASTA_EXCHANGE, CADASTA_WORK_QUEUE,
CADASTA_MONITOR_QUEUE (unique names per test run).

  python3 cadasta.py declare   declare the exchange and both queues (what a deploy does)
  python3 cadasta.py publish   publish one task with a 5 KB argument and one pickle-serialised
                               task; print their ids as one JSON line
  python3 cadasta.py publish-v1 the 5 KB task in Celery's message protocol 1 (everything in the
                               body); print {"export": id}
  python3 cadasta.py publish-n N  N 5 KB tasks, one after the other; print {"ids": [...]}
  python3 cadasta.py publish-group [v1]
                               group(export('a'...), export('b'...)) in message protocol 2 (or 1:
                               the group id is then the body's `taskset`); print
                               {"group": GroupResult id, "ids": [its tasks' ids]}
  python3 cadasta.py publish-secret
                               publish login({'user': 'bob', 'creds': {'api_key': ...}},
                               password='hunter2'); print {"login": id}
A worker: python3 -m celery -A cadasta worker -Q $CADASTA_WORK_QUEUE
"""
import json
import os
import sys

from celery import Celery, group
from kombu import Exchange, Queue

BROKER = os.environ.get('CLEARLY_TEST_BROKER')
if not BROKER:
    sys.exit('cadasta.py: CLEARLY_TEST_BROKER is not set')
EXCHANGE = os.environ.get('CADASTA_EXCHANGE', 'task_exchange')
WORK = os.environ.get('CADASTA_WORK_QUEUE', 'work')
MONITOR = os.environ.get('CADASTA_MONITOR_QUEUE', 'task-monitor')

app = Celery('cadasta', broker=BROKER)
exchange = Exchange(EXCHANGE, type='topic', durable=True)
app.conf.update(
    task_queues=[Queue(WORK, exchange, routing_key=f'{WORK}.#'), Queue(MONITOR, exchange, routing_key='#')],
    task_default_queue=WORK,
    task_default_exchange=EXCHANGE,
    task_default_exchange_type='topic',
    task_default_routing_key=f'{WORK}.default',
    # CADASTA_EVENTS=1: events on, to see tap and events merge into one task each.
    task_send_sent_event=os.environ.get('CADASTA_EVENTS') == '1',
    worker_send_task_events=os.environ.get('CADASTA_EVENTS') == '1',
    task_serializer='json',
    # The worker refuses pickle (as it should, running as root here): the tap records it anyway.
    accept_content=['json'],
    enable_utc=True,
)


@app.task
def export(data):
    return len(data)


@app.task(serializer='pickle')
def pickled(items):
    return len(items)


@app.task
def login(profile, password=None):
    return profile['user']


def declare():
    with app.connection_for_write() as conn:
        for q in app.conf.task_queues:
            q(conn.default_channel).declare()


if __name__ == '__main__':
    declare()
    if sys.argv[1:] == ['publish-v1']:
        app.conf.task_protocol = 1
        a = export.apply_async(('y' * 5000,), routing_key=f'{WORK}.export')
        print(json.dumps({'export': a.id}))
    if sys.argv[1:2] == ['publish-n']:
        ids = [export.apply_async((f'{i}' * 5000,), routing_key=f'{WORK}.export').id for i in range(int(sys.argv[2]))]
        print(json.dumps({'ids': ids}))
    if sys.argv[1:2] == ['publish-group']:
        if sys.argv[2:] == ['v1']:
            app.conf.task_protocol = 1
        g = group(export.s('a' * 50).set(routing_key=f'{WORK}.export'),
                  export.s('b' * 50).set(routing_key=f'{WORK}.export')).apply_async()
        print(json.dumps({'group': g.id, 'ids': [r.id for r in g.results]}))
    if sys.argv[1:] == ['publish']:
        big = 'x' * 5000
        a = export.apply_async((big,), routing_key=f'{WORK}.export')
        b = pickled.apply_async(({1, 2},), routing_key=f'{WORK}.pickled')
        print(json.dumps({'export': a.id, 'pickled': b.id}))
    elif sys.argv[1:] == ['publish-secret']:
        c = login.apply_async(({'user': 'bob', 'creds': {'api_key': 'AKIA-TAP-SECRET', 'region': 'eu'}},),
                              {'password': 'hunter2'}, routing_key=f'{WORK}.login')
        print(json.dumps({'login': c.id}))
