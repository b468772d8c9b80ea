#!/usr/bin/python3
"""Publish a Celery workload for clearly's integration tests, print what was published, exit.

    /usr/bin/python3 test/celery/workload.py --broker URL [--backend URL] [--queue Q]
        [--scenario NAME ...] [--call TASK [--args JSON] [--kwargs JSON] [--count N]
        [--countdown S] [--expect STATE]] [--list]

stdout: ONE JSON line per published task, flushed as it is published:
    {"id", "task", "scenario", "expect", "final_event", ...optional details}
  expect       the state Celery's own celery.events.state.State ends in for that task (so a
               rejected task is "STARTED": REJECTED ranks below STARTED, PROTOCOL.md §5)
  final_event  the last event the worker sends for it (wait for this, then compare states)
  optional     args_repr / kwargs_repr (exactly Celery's argsrepr/kwargsrepr headers),
               result_repr (the worker's saferepr of the return value), exception (repr),
               retries (final count), step / parent_id / root_id (chain), group_id, eta, expires
stderr: diagnostics only. Exit 1 on any error.

It never waits for results. Revoke scenarios need a worker running while it publishes (a revoke is
a broadcast that only live workers hear); revoke_terminate polls `inspect query_task` until the
task is running before it revokes with terminate=True.
"""
import argparse
import json
import os
import sys

SCENARIO_HELP = {
    'basic': 'add(2, 3) and mul(6, 7)',
    'fail': 'fail(): HarnessError with both quote kinds in the message',
    'flaky': 'flaky(2): two task-retried, then SUCCESS',
    'big': 'big(2000): result repr truncated by saferepr',
    'echo': 'echo() with rich args, with a long string, with inf/-inf/nan',
    'reject': 'reject(): acks_late + Reject -> task-rejected (State ends STARTED)',
    'slow': 'slow(1.0): a one-second success',
    'chain': 'add(1, 2) | add(3) | mul(10)',
    'eta': 'add(7, 8) with an ETA one second ahead',
    'revoke': 'add(1, 1) with a 2 s countdown, revoked while waiting',
    'expired': 'add(5, 5) whose expiry is already past: only task-sent and task-revoked',
    'revoke_terminate': 'slow(30) revoked with terminate=True once it is running',
    'group': 'three add() in a group (opt-in)',
    'chord': 'three add() and tsum() as a chord (opt-in, needs --backend)',
    'die': 'die(): the pool child exits, WorkerLostError (opt-in)',
    'unserializable': 'returns a set: FAILURE/EncodeError with a backend, else SUCCESS (opt-in)',
}
DEFAULT_SCENARIOS = [
    'basic', 'fail', 'flaky', 'big', 'echo', 'reject', 'slow', 'chain', 'eta', 'revoke', 'expired',
    'revoke_terminate',
]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--broker', required=True)
    p.add_argument('--backend')
    p.add_argument('--queue', help='default queue (must match the worker: startWorker queues[0])')
    p.add_argument('--scenario', action='append', choices=sorted(SCENARIO_HELP), default=[])
    p.add_argument('--call', metavar='TASK', help='publish TASK (e.g. tasks.slow) --count times')
    p.add_argument('--args', default='[]', help='JSON array for --call')
    p.add_argument('--kwargs', default='{}', help='JSON object for --call')
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--countdown', type=float)
    p.add_argument('--expect', default='SUCCESS', help='expected final state for --call tasks')
    p.add_argument('--wait-active', type=float, default=15.0,
                   help='revoke_terminate: seconds to wait for the task to start')
    p.add_argument('--list', action='store_true', help='list scenarios and exit')
    return p.parse_args(argv)


def main(argv):
    opts = parse_args(argv)
    if opts.list:
        for name, text in SCENARIO_HELP.items():
            default = ' (default)' if name in DEFAULT_SCENARIOS else ''
            print(f'{name:17} {text}{default}')
        return 0
    # tasks.py reads its configuration from the environment, so set it before importing it.
    os.environ['CLEARLY_TEST_BROKER'] = opts.broker
    if opts.backend:
        os.environ['CLEARLY_TEST_BACKEND'] = opts.backend
    if opts.queue:
        os.environ['CLEARLY_TEST_QUEUE'] = opts.queue
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tasks  # noqa: E402  (after the environment is set)
    from scenarios import Publisher  # noqa: E402

    scenarios = opts.scenario or ([] if opts.call else DEFAULT_SCENARIOS)
    if 'chord' in scenarios and not opts.backend:
        print('workload.py: the chord scenario needs --backend (chord counters live there)',
              file=sys.stderr)
        return 2
    pub = Publisher(tasks, emit, has_backend=bool(opts.backend), wait_active=opts.wait_active)
    for name in scenarios:
        getattr(pub, name)()
    if opts.call:
        pub.call(opts.call, json.loads(opts.args), json.loads(opts.kwargs), opts.count,
                 opts.countdown, opts.expect)
    pub.run_deferred()
    return 0


def emit(line):
    """One JSON line, flushed at once so a streaming reader sees it before we exit."""
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
