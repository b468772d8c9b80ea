"""Celery app and tasks for clearly's integration tests.

Run as ``/usr/bin/python3 -m celery -A tasks worker -E ...`` with this directory on PYTHONPATH (see
test/helpers/celery.ts), and imported by workload.py to publish. Configured only from the
environment so the worker and the publisher always agree:

  CLEARLY_TEST_BROKER        broker URL (required)
  CLEARLY_TEST_BACKEND       result backend URL (optional; without it results are not stored)
  CLEARLY_TEST_QUEUE         default queue (optional, default ``celery``); the worker and the
                             publisher must share it so retries and chain steps stay in it
  CLEARLY_TEST_PARENT_PID    set by the Node harness: tie this process (and the pool children) to
                             it with PR_SET_PDEATHSIG, so no worker outlives a killed test run

Task names and behaviours mirror the golden captures in test/fixtures/ (tasks.add, tasks.fail with a
quoted message, flaky(2) -> 'ok after 2 retries', big(n) -> {'n', 'items'}, echo -> [args, kwargs]).
"""
import ctypes
import os
import signal
import sys
import time

from celery import Celery
from celery.exceptions import Reject
from celery.signals import worker_process_init

BROKER = os.environ.get('CLEARLY_TEST_BROKER')
if not BROKER:
    # Fail loudly: silently defaulting to amqp://localhost would hide a harness bug.
    sys.exit('tasks.py: CLEARLY_TEST_BROKER is not set (e.g. redis://127.0.0.1:6379/0)')
BACKEND = os.environ.get('CLEARLY_TEST_BACKEND') or None
QUEUE = os.environ.get('CLEARLY_TEST_QUEUE') or 'celery'

app = Celery('tasks', broker=BROKER, backend=BACKEND)
app.conf.update(
    # task-sent comes from the publisher (workload.py); CLEARLY_TEST_TASK_SENT=0: publishers without it
    task_send_sent_event=os.environ.get('CLEARLY_TEST_TASK_SENT', '1') != '0',
    # same as -E; both, so neither can be forgotten (CLEARLY_TEST_TASK_EVENTS=0: a worker with them off)
    worker_send_task_events=os.environ.get('CLEARLY_TEST_TASK_EVENTS', '1') != '0',
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    enable_utc=True,
    timezone='UTC',
    task_default_queue=QUEUE,
    result_expires=3600,
)
# Redis: how soon an unacked message (an acks_late task whose worker died) is delivered again.
if os.environ.get('CLEARLY_TEST_VISIBILITY_TIMEOUT'):
    app.conf.broker_transport_options = {'visibility_timeout': float(os.environ['CLEARLY_TEST_VISIBILITY_TIMEOUT'])}

# --- keep test workers from outliving the test process -------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with(parent_pid):
    """Ask Linux to SIGKILL us when our parent dies, then check it has not died already."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:  # not Linux/glibc: the Node exit hook still kills the process group
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


_parent = os.environ.get('CLEARLY_TEST_PARENT_PID')
if _parent and os.getppid() == int(_parent):
    # Only the process Node spawned (worker main or workload.py), not something that imported us.
    _die_with(int(_parent))


@worker_process_init.connect
def _pool_child_dies_with_worker(**_):
    # PDEATHSIG is cleared on fork: re-arm it so pool children go when the worker main goes.
    if _parent:
        _die_with(None)


# --- tasks -------------------------------------------------------------------------------------


class HarnessError(Exception):
    """A custom exception whose repr has both quote kinds, to exercise repr escaping."""


@app.task
def add(x, y):
    return x + y


@app.task
def mul(x, y):
    return x * y


@app.task
def tsum(numbers):
    """Chord body: sums the header results."""
    return sum(numbers)


@app.task
def fail(message='kaboom "quoted" \'single\''):
    raise HarnessError(message, 42)


@app.task(bind=True, max_retries=10)
def flaky(self, times=2):
    """Fail `times` times (each a task-retried with countdown 0.1 s), then succeed.

    Counting with request.retries keeps it stateless, so it behaves the same on any worker.
    """
    attempt = self.request.retries
    if attempt < times:
        raise self.retry(exc=ValueError(f'flaky attempt {attempt}'), countdown=0.1)
    return f'ok after {attempt} retries'


@app.task
def slow(seconds=1.0):
    """Sleep, then return `seconds`: for revoke(terminate=True), stuck-task and active-count tests."""
    time.sleep(seconds)
    return seconds


@app.task
def echo(*args, **kwargs):
    """Return the input as the worker received it (after the JSON round trip)."""
    return [args, kwargs]


@app.task
def big(n=2000):
    """A result whose repr is far over saferepr's 1024-character budget (so it is truncated)."""
    return {'n': n, 'items': [{'i': i, 'sq': i * i, 's': 'x' * 8} for i in range(n)]}


@app.task(bind=True, acks_late=True)
def reject(self):
    """task-rejected needs acks_late: with an early ack Celery sends no event (PROTOCOL.md §3)."""
    raise Reject('rejected on purpose', requeue=False)


@app.task(acks_late=True)
def slow_late(seconds=1.0):
    """slow() acknowledged at the end: a worker killed under it leaves the message to be delivered again."""
    time.sleep(seconds)
    return seconds


@app.task
def die(code=1):
    """Kill the pool child mid-task: Celery reports WorkerLostError (FAILURE)."""
    os._exit(code)


@app.task
def unserializable():
    """A set cannot be JSON-encoded: the backend stores FAILURE/EncodeError, task-failed is sent."""
    return {1, 2, 3}
