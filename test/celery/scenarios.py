"""The workload's scenarios: each publishes tasks and emits one line per task (see workload.py).

Expected reprs are computed with Celery's own saferepr and the same size budgets the publisher and
the worker use, so a test can compare clearly's output with them exactly.
"""
import datetime
import sys
import time
from decimal import Decimal
from uuid import UUID

from celery import chain, chord, group
from celery.utils.saferepr import saferepr
from kombu.utils.json import dumps as kombu_dumps, loads as kombu_loads

UTC = datetime.timezone.utc

FINAL_EVENT = {
    'SUCCESS': 'task-succeeded',
    'FAILURE': 'task-failed',
    'REVOKED': 'task-revoked',
    'STARTED': 'task-rejected',  # only a rejected task ends STARTED in Celery's State
}


def rich_args():
    """Every JSON-serialisable Python type the repr parser should meet, in one call."""
    args = (
        'unicode: héllo wörld ✓ 日本語 😀',
        {'nested': {'deeper': {'deepest': [1, 2, {'x': None}]}}, 'list': [1, 'two', 3.0]},
        None, True, False,
        3.14, -0.5, 1e300, 2 ** 70, -(2 ** 63), 9007199254740993,
        (1, 'two', 3.0),
        datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        datetime.date(2024, 2, 29),
        Decimal('3.14159265358979323846'),
        UUID('12345678-1234-5678-1234-567812345678'),
        'control:\x00\x01\x07\t\n\r\x1b[31m \'quote\' "dq" back\\slash',
    )
    kwargs = {'when': datetime.datetime(2030, 12, 31, 23, 59, 59, tzinfo=UTC), 'empty': {},
              'flag': True, 'ratio': 0.1, 'name': 'clearly'}
    return args, kwargs


class Publisher:
    def __init__(self, tasks, emit, has_backend, wait_active):
        self.t = tasks
        self.app = tasks.app
        self.emit = emit
        self.has_backend = has_backend
        self.wait_active = wait_active
        self.deferred = []

    # --- helpers --------------------------------------------------------------------------------

    def line(self, task_id, task, scenario, expect, **extra):
        out = {'id': task_id, 'task': task, 'scenario': scenario, 'expect': expect,
               'final_event': FINAL_EVENT.get(expect)}
        out.update({k: v for k, v in extra.items() if v is not None})
        self.emit(out)

    def reprs(self, args, kwargs):
        """Exactly the argsrepr/kwargsrepr headers Celery puts on the message (amqp.as_task_v2)."""
        return {'args_repr': saferepr(args, self.app.amqp.argsrepr_maxsize),
                'kwargs_repr': saferepr(kwargs, self.app.amqp.kwargsrepr_maxsize)}

    def result_repr(self, task, args, kwargs):
        """The worker's saferepr of the return value, computed on what the worker receives."""
        wargs = kombu_loads(kombu_dumps(list(args)))
        wkwargs = kombu_loads(kombu_dumps(kwargs))
        return saferepr(task.run(*wargs, **wkwargs), task.resultrepr_maxsize)

    def publish(self, scenario, task, args=(), kwargs=None, expect='SUCCESS', result=True, **opts):
        kwargs = kwargs or {}
        res = task.apply_async(args, kwargs, **opts)
        rr = self.result_repr(task, args, kwargs) if result and expect == 'SUCCESS' else None
        self.line(res.id, task.name, scenario, expect, result_repr=rr, **self.reprs(args, kwargs))
        return res

    # --- scenarios ------------------------------------------------------------------------------

    def basic(self):
        self.publish('basic', self.t.add, (2, 3))
        self.publish('basic', self.t.mul, (6, 7))

    def fail(self):
        message = 'kaboom "quoted" \'single\''
        res = self.t.fail.apply_async((message,))
        self.line(res.id, 'tasks.fail', 'fail', 'FAILURE',
                  exception=repr(self.t.HarnessError(message, 42)), **self.reprs((message,), {}))

    def flaky(self):
        res = self.t.flaky.apply_async((2,))
        self.line(res.id, 'tasks.flaky', 'flaky', 'SUCCESS', retries=2,
                  result_repr=saferepr('ok after 2 retries', self.t.flaky.resultrepr_maxsize),
                  **self.reprs((2,), {}))

    def big(self):
        self.publish('big', self.t.big, (2000,))

    def echo(self):
        args, kwargs = rich_args()
        self.publish('echo', self.t.echo, args, kwargs)
        # Cut in its event, whole from the backend, with the NaN/Infinity tokens Python's json writes.
        self.publish('echo', self.t.echo, ('L' * 3000, 'tail'),
                     {'long': 'K' * 1500, 'odd': [float('inf'), float('-inf'), float('nan')]})
        self.publish('echo', self.t.echo, (float('inf'), float('-inf'), float('nan')))

    def reject(self):
        res = self.t.reject.apply_async()
        self.line(res.id, 'tasks.reject', 'reject', 'STARTED', **self.reprs((), {}))

    def slow(self):
        self.publish('slow', self.t.slow, (1.0,))

    def chain(self):
        res = chain(self.t.add.s(1, 2), self.t.add.s(3), self.t.mul.s(10)).apply_async()
        ids = [res.parent.parent.id, res.parent.id, res.id]
        steps = [('tasks.add', (1, 2), '3'), ('tasks.add', (3, 3), '6'), ('tasks.mul', (6, 10), '60')]
        for step, (task_id, (name, args, rr)) in enumerate(zip(ids, steps)):
            self.line(task_id, name, 'chain', 'SUCCESS', step=step, result_repr=rr,
                      parent_id=ids[step - 1] if step else None, root_id=ids[0],
                      **self.reprs(args, {}))

    def eta(self):
        eta = self.app.now() + datetime.timedelta(seconds=1)
        res = self.t.add.apply_async((7, 8), eta=eta)
        self.line(res.id, 'tasks.add', 'eta', 'SUCCESS', eta=eta.isoformat(), result_repr='15',
                  **self.reprs((7, 8), {}))

    def revoke(self):
        # Held by the worker as an ETA task, so the revoke always lands before it could run.
        res = self.t.add.apply_async((1, 1), countdown=2)
        self.app.control.revoke(res.id)
        self.line(res.id, 'tasks.add', 'revoke', 'REVOKED', **self.reprs((1, 1), {}))

    def expired(self):
        """Publish with an expiry in the past, but without the AMQP per-message TTL.

        send_task would set `expiration=0`, and RabbitMQ then drops the message unless a consumer
        has room at that instant: the task would stay PENDING at random. Built by hand, the message
        always reaches the worker, which sends only task-revoked(expired=True) (strategy.py).
        """
        from celery.utils import uuid
        expires = self.app.now() - datetime.timedelta(seconds=10)
        task_id, name, args = uuid(), 'tasks.add', (5, 5)
        amqp = self.app.amqp
        message = amqp.create_task_message(
            task_id, name, args, {}, expires=expires, reply_to=self.app.thread_oid,
            create_sent_event=self.app.conf.task_send_sent_event)
        options = amqp.router.route({}, name, args, {})
        with self.app.producer_or_acquire() as producer:
            amqp.send_task_message(producer, name, message, **options)
        self.line(task_id, name, 'expired', 'REVOKED', expires=expires.isoformat(),
                  **self.reprs(args, {}))

    def revoke_terminate(self):
        res = self.t.slow.apply_async((30,))
        self.line(res.id, 'tasks.slow', 'revoke_terminate', 'REVOKED', **self.reprs((30,), {}))
        self.deferred.append(lambda: self._terminate_when_active(res.id))

    def _terminate_when_active(self, task_id):
        deadline = time.monotonic() + self.wait_active
        while time.monotonic() < deadline:
            replies = self.app.control.inspect(timeout=0.5).query_task(task_id) or {}
            if any(info.get(task_id, [None])[0] == 'active' for info in replies.values()):
                break
        else:
            print(f'workload.py: {task_id} never became active; revoking anyway', file=sys.stderr)
        self.app.control.revoke(task_id, terminate=True, signal='SIGTERM')

    def group(self):
        res = group(self.t.add.s(i, i) for i in range(3)).apply_async()
        for i, child in enumerate(res.results):
            self.line(child.id, 'tasks.add', 'group', 'SUCCESS', group_id=res.id,
                      result_repr=str(i + i), **self.reprs((i, i), {}))

    def chord(self):
        res = chord([self.t.add.s(i, i) for i in range(1, 4)], self.t.tsum.s()).apply_async()
        for i, child in zip(range(1, 4), res.parent.results):
            self.line(child.id, 'tasks.add', 'chord', 'SUCCESS', group_id=res.parent.id,
                      result_repr=str(i + i), **self.reprs((i, i), {}))
        self.line(res.id, 'tasks.tsum', 'chord', 'SUCCESS', result_repr='12')

    def die(self):
        res = self.t.die.apply_async()
        self.line(res.id, 'tasks.die', 'die', 'FAILURE', **self.reprs((), {}))

    def unserializable(self):
        res = self.t.unserializable.apply_async()
        expect = 'FAILURE' if self.has_backend else 'SUCCESS'
        self.line(res.id, 'tasks.unserializable', 'unserializable', expect,
                  result_repr='{1, 2, 3}' if expect == 'SUCCESS' else None, **self.reprs((), {}))

    def call(self, name, args, kwargs, count, countdown, expect):
        task = self.app.tasks[name]
        for _ in range(count):
            res = task.apply_async(tuple(args), kwargs, countdown=countdown)
            self.line(res.id, name, 'call', expect, **self.reprs(tuple(args), kwargs))

    def run_deferred(self):
        for action in self.deferred:
            action()
