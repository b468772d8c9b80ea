#!/usr/bin/python3
"""The oracle: replay live events through Celery's own celery.events.state.State.

    /usr/bin/python3 test/celery/observe.py --broker URL --published FILE [--timeout S]

Prints `observing` on stderr once it consumes events (start the workload after that), then waits
until FILE exists (write it atomically: workload.py > F.tmp && mv F.tmp F), and until every task
listed in it has sent its `final_event`. Then prints one JSON line per listed task on stdout:
    {"id", "scenario", "expect", "state", "ok", "events": [types in arrival order],
     "args", "kwargs", "result", "exception", "retries", "worker", "repr_ok": {...}}
`ok` means Celery's State ended in `expect`; `repr_ok` compares the workload's expected reprs with
what the events carried. Exit 0 if every task is ok, 1 otherwise, 124 on timeout.
"""
import argparse
import json
import os
import sys
import threading
import time
from collections import defaultdict

from celery import Celery


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument('--broker', required=True)
    p.add_argument('--published', required=True)
    p.add_argument('--timeout', type=float, default=60.0)
    opts = p.parse_args(argv)

    app = Celery('observe', broker=opts.broker)
    state = app.events.State()
    seen = defaultdict(list)
    published = []
    timed_out = threading.Event()

    def load_published():
        if not published and os.path.exists(opts.published):
            with open(opts.published, encoding='utf-8') as f:
                published.extend(json.loads(line) for line in f if line.strip())

    def done():
        load_published()
        return bool(published) and all(
            t.get('final_event') is None or t['final_event'] in seen[t['id']] for t in published)

    with app.connection() as conn:
        recv = app.events.Receiver(conn, handlers={'*': lambda e: on_event(e)})

        def on_event(event):
            state.event(event)
            if event['type'].startswith('task-'):
                seen[event['uuid']].append(event['type'])
            if done():
                recv.should_stop = True

        ready = recv.on_consume_ready

        def on_consume_ready(*a, **kw):
            ready(*a, **kw)
            print('observing', file=sys.stderr, flush=True)

        recv.on_consume_ready = on_consume_ready

        def watchdog():
            deadline = time.monotonic() + opts.timeout
            while not recv.should_stop:
                if done():
                    recv.should_stop = True
                elif time.monotonic() > deadline:
                    timed_out.set()
                    recv.should_stop = True
                time.sleep(0.2)

        threading.Thread(target=watchdog, daemon=True).start()
        for _ in recv.consume(limit=None, timeout=None, safety_interval=0.2):
            pass

    load_published()
    all_ok = True
    for t in published:
        task = state.tasks.get(t['id'])
        got = task.state if task else None
        ok = got == t['expect']
        all_ok = all_ok and ok
        fields = {k: getattr(task, k, None) for k in
                  ('args', 'kwargs', 'result', 'exception', 'retries', 'worker')} if task else {}
        if fields.get('worker') is not None:
            fields['worker'] = fields['worker'].hostname
        repr_ok = {name: fields.get(field) == t[name]
                   for name, field in (('args_repr', 'args'), ('kwargs_repr', 'kwargs'),
                                       ('result_repr', 'result'), ('exception', 'exception'),
                                       ('retries', 'retries'))
                   if name in t}
        all_ok = all_ok and all(repr_ok.values())
        print(json.dumps({'id': t['id'], 'scenario': t['scenario'], 'expect': t['expect'],
                          'state': got, 'ok': ok, 'events': seen[t['id']], **fields,
                          'repr_ok': repr_ok}, ensure_ascii=False), flush=True)
    if timed_out.is_set():
        print('observe.py: timed out waiting for final events', file=sys.stderr)
        return 124
    return 0 if all_ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
