"""How test/fixtures/msgpack-task-messages.ndjson was made (Celery 5.2, kombu, python3-msgpack):
one msgpack-serialised protocol-2 task message published by Celery and taken off its queue as
the tap receives it (RabbitMQ: body and properties; Redis: kombu's envelope as LPUSHed).
Not run by the tests (they read the fixture; the test machines need no Python msgpack).

  python3 capture_msgpack.py amqp://guest:guest@127.0.0.1:5672/VHOST
  python3 capture_msgpack.py redis://127.0.0.1:6379/5
"""
import base64, json, os, sys
from celery import Celery
from kombu import Exchange, Queue
broker = sys.argv[1]
app = Celery('capmsgpack', broker=broker)
app.conf.update(task_default_queue='tapmp', enable_utc=True, task_send_sent_event=False)
@app.task(name='tasks.packed', serializer='msgpack')
def packed(*a, **k): pass
big = 'z' * 3000
r = packed.apply_async((big, 7, 2.5, None, [1, [2, 'é']], b'\x00\xff', 2**40), {'k': {'x': True}, 'n': -3}, queue='tapmp')
if broker.startswith('redis'):
    import redis
    rc = redis.Redis.from_url(broker)
    raw = rc.rpop('tapmp')
    print(json.dumps({'transport': 'redis', 'list_key': 'tapmp', 'raw_b64': base64.b64encode(raw).decode()}))
else:
    with app.connection_for_read() as c:
        ch = c.default_channel
        m = ch.basic_get('tapmp', no_ack=True)
        props = m.properties
        print(json.dumps({'transport': 'amqp', 'routing_key': m.delivery_info['routing_key'], 'exchange': m.delivery_info['exchange'],
          'properties': {'content_type': m.content_type, 'content_encoding': m.content_encoding, 'application_headers': m.headers},
          'body_b64': base64.b64encode(m.body).decode()}, default=str))
