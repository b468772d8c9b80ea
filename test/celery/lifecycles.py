#!/usr/bin/python3
"""Task lifecycles in realistic delivery orders, and what each state rule makes of them.

    /usr/bin/python3 test/celery/lifecycles.py --out DIR [--tasks N] [--seed S]

Builds N task lifecycles on several workers (success, failure, retries on two workers, revoked
before and while running, rejected with and without requeue, ETA, publishers without task-sent),
each event as Celery 5.2 publishes it (json.dumps of the event dict, in Celery's key order), then
perturbs their delivery the ways real clusters do: a late task-sent (the publisher's connection),
swapped neighbours, duplicates, the final event first, an earlier attempt's events after the last
attempt's (two workers flushing their task.multi buffers on their own schedule). Writes:

  DIR/messages.ndjson  one broker message per line, in delivery order: {"rk", "hostname", "body"}
                       (rk `task.multi` for a worker's batch, whose body is a JSON list)
  DIR/expect.json      {"events": n, "tasks": {uuid: {"celery", "expected", "truth", "correction"}},
                        "counts": {...}}

`celery` is the state Celery's own celery.events.state.State ends in, fed the same order.
`expected` is the state clearly must end in: Celery's rule with the two corrections of the state
issue, implemented here on its own from the rule's text (README, "Where clearly differs from
Celery's State"), not from clearly's code. `truth` is the lifecycle's real outcome (the state of
its last event in time). `correction` says which correction made `expected` differ from `celery`:
"rejected" (a rejection without requeue is final), "finished" (an event older than the finishing
one does not move the task), "both", or null.
"""
import argparse
import json
import os
import random
import sys
import time

from celery.events.state import State

STATE_OF = {
    'task-sent': 'PENDING', 'task-received': 'RECEIVED', 'task-started': 'STARTED',
    'task-succeeded': 'SUCCESS', 'task-failed': 'FAILURE', 'task-retried': 'RETRY',
    'task-revoked': 'REVOKED', 'task-rejected': 'REJECTED',
}
# celery.states.PRECEDENCE, lower index wins; None stands for custom states.
PRECEDENCE = ['SUCCESS', 'FAILURE', None, 'REVOKED', 'STARTED', 'RECEIVED', 'REJECTED', 'RETRY', 'PENDING']
FINAL = {'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'}
WORKERS = ['w1@alpha', 'w2@beta', 'w3@gamma', 'w4@delta']
CLIENTS = ['gen101@web1', 'gen202@web2']
NAMES = ['shop.email.send', 'shop.orders.charge', 'reports.build', 'media.resize']


def precedence(state):
    return PRECEDENCE.index(state) if state in PRECEDENCE else 2


class Corrected:
    """Celery's Task.event state rule with the corrections that `a` and `b` switch on."""

    def __init__(self, a=True, b=True):
        self.a, self.b = a, b
        self.state, self.requeue, self.finished_at = 'PENDING', None, None

    def finished(self):
        return self.state in FINAL and not (self.state == 'REJECTED' and self.requeue and self.a)

    def rank(self, state, requeue):
        if self.a and state == 'REJECTED' and not requeue:
            return precedence('REVOKED')
        return precedence(state)

    def event(self, ev):
        state = STATE_OF[ev['type']]
        older = self.b and self.finished() and self.finished_at is not None and ev['timestamp'] < self.finished_at
        celery_late = (state != 'RETRY' and self.state != 'RETRY'
                       and self.rank(state, ev.get('requeue')) > self.rank(self.state, self.requeue))
        if older or celery_late:
            return
        self.state = state
        if state == 'REJECTED':
            self.requeue = bool(ev.get('requeue'))
        self.finished_at = ev['timestamp'] if self.finished() else None


class Senders:
    """Lamport clocks and pids per sender, as each Celery process keeps its own."""

    def __init__(self):
        self.clock = {}

    def head(self, hostname):
        self.clock[hostname] = self.clock.get(hostname, 0) + 1
        return {'hostname': hostname, 'utcoffset': 0, 'pid': 1000 + sum(map(ord, hostname)) % 9000,
                'clock': self.clock[hostname]}


def lifecycle(rng, senders, uuid, t0):
    """One task's events in time order, and the names of the attempts' workers (for perturbing)."""
    name = rng.choice(NAMES)
    args, kwargs = repr((rng.randrange(1000), 'x' * rng.randrange(5))), repr({'n': rng.randrange(9)})
    kind = rng.choices(
        ['success', 'failure', 'retry-success', 'retry-failure', 'expired', 'revoked-running',
         'rejected', 'rejected-requeue', 'eta', 'no-sent'],
        weights=[30, 10, 12, 4, 5, 5, 8, 6, 10, 10])[0]
    client = rng.choice(CLIENTS)
    workers = rng.sample(WORKERS, 3)
    t = t0
    events = []

    def emit(etype, host, **fields):
        nonlocal t
        t += rng.uniform(0.001, 0.4)
        ev = senders.head(host)
        ev['uuid'] = uuid
        ev.update(fields)
        ev['timestamp'] = t
        ev['type'] = etype
        events.append(ev)
        return ev

    def sent(retries=0, host=None, eta=None):
        emit('task-sent', host or client, root_id=uuid, parent_id=None if retries == 0 else uuid, name=name,
             args=args, kwargs=kwargs, retries=retries, eta=eta, expires=None, queue='celery', exchange='',
             routing_key='celery')

    def received(w, retries=0, eta=None):
        emit('task-received', w, name=name, args=args, kwargs=kwargs, root_id=uuid,
             parent_id=None if retries == 0 else uuid, retries=retries, eta=eta, expires=None)

    def attempt_retry(w, retries):
        received(w, retries)
        emit('task-started', w)
        # The worker publishes the retry's message (task-sent from the worker) before task-retried.
        sent(retries + 1, host=w, eta='2026-12-03T00:00:00+00:00')
        emit('task-retried', w, exception="ValueError('flaky %d')" % retries, traceback='Traceback ...')

    attempts = []
    if kind != 'no-sent':
        sent(eta='2026-12-03T00:00:00+00:00' if kind == 'eta' else None)
    if kind in ('success', 'failure', 'eta', 'no-sent'):
        w = workers[0]
        attempts.append(w)
        received(w, eta='2026-12-03T00:00:00+00:00' if kind == 'eta' else None)
        if kind == 'eta':
            t += rng.uniform(1, 5)
        emit('task-started', w)
        if kind == 'failure':
            emit('task-failed', w, exception="KeyError('x')", traceback='Traceback ...')
        else:
            emit('task-succeeded', w, result=repr(rng.randrange(100)), runtime=rng.uniform(0.01, 2))
    elif kind in ('retry-success', 'retry-failure'):
        n = rng.choice([1, 1, 2])
        for i in range(n):
            attempts.append(workers[i])
            attempt_retry(workers[i], i)
        w = workers[n]
        attempts.append(w)
        received(w, n)
        emit('task-started', w)
        if kind == 'retry-success':
            emit('task-succeeded', w, result="'ok'", runtime=0.2)
        else:
            emit('task-failed', w, exception="ValueError('gave up')", traceback='Traceback ...')
    elif kind == 'expired':
        emit('task-revoked', workers[0], terminated=False, signum=None, expired=True)
    elif kind == 'revoked-running':
        attempts.append(workers[0])
        received(workers[0])
        emit('task-started', workers[0])
        emit('task-revoked', workers[0], terminated=True, signum=15, expired=False)
    elif kind == 'rejected':
        attempts.append(workers[0])
        received(workers[0])
        emit('task-started', workers[0])
        emit('task-rejected', workers[0], requeue=False)
    elif kind == 'rejected-requeue':
        attempts.append(workers[0])
        received(workers[0])
        emit('task-started', workers[0])
        emit('task-rejected', workers[0], requeue=True)
        w = workers[1]
        attempts.append(w)
        received(w)
        emit('task-started', w)
        emit('task-succeeded', w, result='1', runtime=0.1)
    return kind, events, attempts


def perturb(rng, kind, events, attempts):
    """Delivery keys for the task's events (sorted globally later), and any duplicates."""
    keyed = [[ev['timestamp'], ev] for ev in events]
    how = rng.choices(['none', 'late-sent', 'swap', 'dup', 'final-first', 'old-attempt-late'],
                      weights=[35, 20, 15, 10, 10, 10])[0]
    last = max(ev['timestamp'] for ev in events)
    first = min(ev['timestamp'] for ev in events)
    if how == 'late-sent':
        for k in keyed:
            if k[1]['type'] == 'task-sent':
                k[0] = last + rng.uniform(0.01, 1.5)
    elif how == 'swap' and len(keyed) > 1:
        i = rng.randrange(len(keyed) - 1)
        keyed[i][0], keyed[i + 1][0] = keyed[i + 1][0], keyed[i][0]
    elif how == 'dup':
        k = rng.choice(keyed)
        keyed.append([k[0] + rng.uniform(0, 0.5), dict(k[1])])
    elif how == 'final-first':
        keyed[-1][0] = first - rng.uniform(0.001, 0.2)
    elif how == 'old-attempt-late' and len(attempts) > 1:
        # The earlier attempts' worker flushes its buffer after the last attempt finished.
        for k in keyed:
            if k[1]['hostname'] in attempts[:-1]:
                k[0] = last + rng.uniform(0.01, 1.0) + k[0] * 1e-9
    return how, keyed


def batch(rng, ordered):
    """Group runs of one worker's consecutive events into task.multi messages, as workers buffer them."""
    out = []
    i = 0
    while i < len(ordered):
        ev = ordered[i]
        host = ev['hostname']
        if ev['type'] == 'task-sent' or rng.random() < 0.5:
            out.append({'rk': ev['type'].replace('-', '.'), 'hostname': host, 'body': json.dumps(ev)})
            i += 1
            continue
        size = rng.randint(1, 5)
        group = []
        while i < len(ordered) and len(group) < size and ordered[i]['hostname'] == host and ordered[i]['type'] != 'task-sent':
            group.append(ordered[i])
            i += 1
        out.append({'rk': 'task.multi', 'hostname': host, 'body': json.dumps(group)})
    return out


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--tasks', type=int, default=10_000)
    p.add_argument('--seed', type=int, default=20261203)
    opts = p.parse_args(argv)
    rng = random.Random(opts.seed)
    senders = Senders()
    t0 = time.time() - 7200
    keyed, truth, kinds, hows = [], {}, {}, {}
    for n in range(opts.tasks):
        uuid = '%08x-%04x-4%03x-8%03x-%012x' % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                               rng.getrandbits(12), rng.getrandbits(48))
        start = t0 + n * 0.05 + rng.uniform(0, 0.05)
        kind, events, attempts = lifecycle(rng, senders, uuid, start)
        truth[uuid] = STATE_OF[max(events, key=lambda e: e['timestamp'])['type']]
        kinds[uuid] = kind
        hows[uuid], k = perturb(rng, kind, events, attempts)
        keyed.extend(k)
    keyed.sort(key=lambda k: k[0])
    ordered = [ev for _, ev in keyed]
    messages = batch(rng, ordered)

    state = State(max_tasks_in_memory=opts.tasks * 2, max_workers_in_memory=100)
    rules = {}
    for m in messages:
        body = json.loads(m['body'])
        for ev in body if isinstance(body, list) else [body]:
            ev['local_received'] = time.time()
            state.event(ev)
            uuid = ev['uuid']
            if uuid not in rules:
                rules[uuid] = (Corrected(), Corrected(a=True, b=False), Corrected(a=False, b=True))
            for r in rules[uuid]:
                r.event(ev)

    tasks, counts = {}, {'tasks': 0, 'celery_wrong': 0, 'rejected': 0, 'finished': 0, 'both': 0}
    for uuid, (both, only_a, only_b) in rules.items():
        celery = state.tasks[uuid].state
        correction = None
        if both.state != celery:
            correction = 'rejected' if only_a.state == both.state else 'finished' if only_b.state == both.state else 'both'
            counts[correction] += 1
        if celery != truth[uuid]:
            counts['celery_wrong'] += 1
        counts['tasks'] += 1
        tasks[uuid] = {'celery': celery, 'expected': both.state, 'truth': truth[uuid], 'correction': correction,
                       'kind': kinds[uuid], 'perturbation': hows[uuid]}
    os.makedirs(opts.out, exist_ok=True)
    with open(os.path.join(opts.out, 'messages.ndjson'), 'w', encoding='utf-8') as f:
        for m in messages:
            f.write(json.dumps(m) + '\n')
    with open(os.path.join(opts.out, 'expect.json'), 'w', encoding='utf-8') as f:
        json.dump({'events': len(ordered), 'messages': len(messages), 'tasks': tasks, 'counts': counts}, f)
    print(json.dumps({'events': len(ordered), 'messages': len(messages), 'counts': counts}))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
