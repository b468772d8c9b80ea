/**
 * The simulated application's tasks: names, argument shapes, results and the ways they fail.
 * Everything a task event carries as text (args/kwargs/result reprs, exception reprs, tracebacks) is
 * rendered here once, into a small pool per task, so the hot loop only picks strings.
 *
 * The shapes are chosen to exercise what a monitor must get right: plain ints, nested kwargs, floats,
 * non-ASCII (escaped as \uXXXX on the wire), Python `UUID(...)` reprs, and results over the 1024
 * saferepr budget (cut with `...`).
 */
import type { Rng } from './rng.js';
import { dict, float, pyrepr, saferepr, tuple, type PyValue } from './repr.js';

export interface TaskVariant {
  readonly name: string;
  readonly queue: string;
  /** saferepr(args, 1024) / saferepr(kwargs, 1024) / saferepr(result, 1024). */
  readonly args: string;
  readonly kwargs: string;
  readonly result: string;
  readonly runtime: readonly [min: number, max: number];
}

export interface Failure {
  /** repr() of the exception, as Celery puts it in `exception`. */
  readonly exception: string;
  readonly traceback: string;
}

interface Shape {
  readonly name: string;
  readonly queue: string;
  readonly weight: number;
  readonly file: string;
  readonly fn: string;
  readonly runtime: readonly [number, number];
  readonly make: (rng: Rng) => {
    args: PyValue;
    kwargs: PyValue;
    result: PyValue;
    /** Overrides the shape's runtime range (e.g. a sleep task runs as long as asked). */
    runtime?: readonly [number, number];
  };
  /** [exception repr, `raise` source line, last traceback line]. */
  readonly failures: readonly (readonly [string, string, string])[];
}

const EMAILS = ['user42@example.com', 'ana.lima@example.org', 'jürgen@example.de', 'ops+alerts@example.net'];
const TAGS = ['a', 'b', 'signup', 'eu', 'beta', 'vip'];
const WORDS = ['Grüße aus Köln', 'naïve café', 'Zürich Straße', '日本語のテキスト', 'emoji 😀 ok'];

const SHAPES: readonly Shape[] = [
  {
    name: 'tasks.add', queue: 'celery', weight: 30,
    file: '/srv/app/tasks.py', fn: 'add', runtime: [0.00003, 0.003],
    make: (r) => {
      const [a, b] = [r.int(0, 999), r.int(0, 999)];
      return { args: tuple(a, b), kwargs: dict({}), result: a + b };
    },
    failures: [
      [
        "TypeError(\"unsupported operand type(s) for +: 'int' and 'NoneType'\")",
        'return x + y',
        "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'",
      ],
    ],
  },
  {
    name: 'app.users.sync_profile', queue: 'celery', weight: 15,
    file: '/srv/app/app/users.py', fn: 'sync_profile', runtime: [0.004, 0.12],
    make: (r) => {
      const id = r.int(1, 99999);
      const tags = TAGS.filter(() => r.chance(0.4));
      return {
        args: tuple(id, r.pick(EMAILS)),
        kwargs: dict({ retry: r.chance(0.7), tags }),
        result: dict({ id, synced: true, changed: ['email', 'name'].slice(0, r.int(0, 2)) }),
      };
    },
    failures: [
      [
        "KeyError('user_id')",
        "profile = payload['user_id']",
        "KeyError: 'user_id'",
      ],
    ],
  },
  {
    name: 'app.email.send', queue: 'celery', weight: 15,
    file: '/srv/app/app/email.py', fn: 'send', runtime: [0.05, 0.9],
    make: (r) => ({
      args: tuple(r.pick(EMAILS), r.pick(['welcome', 'reset_password', 'invoice'])),
      kwargs: dict({ lang: r.pick(['de', 'en', 'pt']), context: dict({ name: r.pick(['Jürgen', 'Ana', 'Zoë']) }) }),
      result: `250 2.0.0 OK  ${r.int(1_700_000_000, 1_800_000_000)} a1si${r.int(100000, 999999)}qkb.7 - gsmtp`,
    }),
    failures: [
      [
        "SMTPServerDisconnected('Connection unexpectedly closed')",
        'smtp.send_message(msg)',
        'smtplib.SMTPServerDisconnected: Connection unexpectedly closed',
      ],
    ],
  },
  {
    name: 'app.images.thumbnail', queue: 'images', weight: 10,
    file: '/srv/app/app/images.py', fn: 'thumbnail', runtime: [0.05, 0.8],
    make: (r) => {
      const key = r.u32().toString(16).padStart(8, '0');
      const sizes = [tuple(64, 64), tuple(256, 256), tuple(1024, 768)].slice(0, r.int(1, 3));
      return {
        args: tuple(`s3://media/uploads/${key}.jpg`),
        kwargs: dict({ sizes, quality: float(r.pick([0.8, 0.85, 0.9])) }),
        result: sizes.map((_, i) => `s3://media/thumbs/${key}_${i}.jpg`),
      };
    },
    failures: [
      [
        "UnidentifiedImageError(\"cannot identify image file '/tmp/upload.jpg'\")",
        'img = Image.open(path)',
        "PIL.UnidentifiedImageError: cannot identify image file '/tmp/upload.jpg'",
      ],
    ],
  },
  {
    name: 'app.reports.monthly', queue: 'celery', weight: 4,
    file: '/srv/app/app/reports.py', fn: 'monthly', runtime: [0.5, 3.0],
    make: (r) => {
      const days = r.int(28, 31);
      const rows: PyValue[] = [];
      for (let d = 1; d <= days; d++) {
        rows.push(dict({ day: d, orders: r.int(0, 500), revenue: float(r.int(0, 9_999_999) / 100) }));
      }
      const month = `2024-${String(r.int(1, 12)).padStart(2, '0')}`;
      return { args: tuple(), kwargs: dict({ month, fmt: 'csv' }), result: rows };
    },
    failures: [
      [
        "TimeoutError('warehouse query timed out after 30s')",
        'rows = warehouse.query(sql, timeout=30)',
        'TimeoutError: warehouse query timed out after 30s',
      ],
    ],
  },
  {
    name: 'app.i18n.translate', queue: 'celery', weight: 6,
    file: '/srv/app/app/i18n.py', fn: 'translate', runtime: [0.01, 0.3],
    make: (r) => {
      const text = r.pick(WORDS);
      return { args: tuple(text, r.pick(['ja', 'pt', 'fr'])), kwargs: dict({}), result: `«${text}» ✓ 翻訳済み` };
    },
    failures: [
      [
        "ValueError('unsupported language: xx')",
        "raise ValueError(f'unsupported language: {lang}')",
        'ValueError: unsupported language: xx',
      ],
    ],
  },
  {
    name: 'app.billing.charge', queue: 'celery', weight: 10,
    file: '/srv/app/app/billing.py', fn: 'charge', runtime: [0.1, 1.2],
    make: (r) => {
      const amount = r.int(100, 99999);
      const key = r.uuid4();
      return {
        args: tuple(`cus_${r.u32().toString(36)}`, amount),
        kwargs: dict({ currency: r.pick(['eur', 'usd']), idempotency_key: pyrepr(`UUID('${key}')`) }),
        result: dict({ status: 'succeeded', amount, id: `ch_${r.u32().toString(36)}${r.u32().toString(36)}` }),
      };
    },
    failures: [
      [
        "CardDeclined('insufficient_funds')",
        'raise CardDeclined(resp.decline_code)',
        'app.billing.CardDeclined: insufficient_funds',
      ],
    ],
  },
  {
    name: 'tasks.slow', queue: 'celery', weight: 5,
    file: '/srv/app/tasks.py', fn: 'slow', runtime: [0.5, 3.0],
    make: (r) => {
      const s = r.pick([0.5, 1.0, 2.5]);
      return { args: tuple(float(s)), kwargs: dict({}), result: float(s), runtime: [s, s + 0.004] };
    },
    failures: [
      [
        'SoftTimeLimitExceeded()',
        'time.sleep(seconds)',
        'billiard.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()',
      ],
    ],
  },
];

/** The two frames Celery's tracer always adds above the task function (5.2 on Python 3.11). */
const TRACE_HEAD =
  'Traceback (most recent call last):\n' +
  '  File "/usr/lib/python3/dist-packages/celery/app/trace.py", line 451, in trace_task\n' +
  '    R = retval = fun(*args, **kwargs)\n' +
  '                 ^^^^^^^^^^^^^^^^^^^^\n' +
  '  File "/usr/lib/python3/dist-packages/celery/app/trace.py", line 734, in __protected_call__\n' +
  '    return self.run(*args, **kwargs)\n' +
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^\n';

function failureOf(shape: Shape, f: readonly [string, string, string], line: number): Failure {
  const [exception, source, last] = f;
  const frame = `  File "${shape.file}", line ${line}, in ${shape.fn}\n    ${source}\n`;
  return { exception, traceback: `${TRACE_HEAD}${frame}${last}\n` };
}

/** task-retried: the original exception's repr, traceback ending in `celery.exceptions.Retry`. */
function retryOf(shape: Shape, f: readonly [string, string, string], line: number, countdown: number): Failure {
  const call = `self.retry(exc=exc, countdown=${countdown})`;
  return {
    exception: f[0],
    traceback:
      `${TRACE_HEAD}  File "${shape.file}", line ${line}, in ${shape.fn}\n` +
      `    raise ${call}\n          ${'^'.repeat(call.length)}\n` +
      '  File "/usr/lib/python3/dist-packages/celery/app/task.py", line 738, in retry\n    raise ret\n' +
      `celery.exceptions.Retry: Retry in ${countdown}s: ${f[0]}\n`,
  };
}

export interface CatalogEntry {
  readonly variants: readonly TaskVariant[];
  readonly failures: readonly Failure[];
  readonly retries: readonly Failure[];
  /** Seconds between a retry and its next attempt (the retry's `eta`). */
  readonly countdown: number;
}

export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  readonly weights: readonly number[];
}

/** Render `variantsPerTask` argument/result combinations per task up front (deterministic in rng). */
export function buildCatalog(rng: Rng, variantsPerTask = 16): Catalog {
  const entries = SHAPES.map((shape): CatalogEntry => {
    const variants: TaskVariant[] = [];
    for (let i = 0; i < variantsPerTask; i++) {
      const v = shape.make(rng);
      variants.push({
        name: shape.name,
        queue: shape.queue,
        args: saferepr(v.args),
        kwargs: saferepr(v.kwargs),
        result: saferepr(v.result),
        runtime: v.runtime ?? shape.runtime,
      });
    }
    const line = rng.int(12, 240);
    const countdown = rng.pick([1, 5, 10]);
    return {
      variants,
      failures: shape.failures.map((f) => failureOf(shape, f, line)),
      retries: shape.failures.map((f) => retryOf(shape, f, line, countdown)),
      countdown,
    };
  });
  return { entries, weights: SHAPES.map((s) => s.weight) };
}
