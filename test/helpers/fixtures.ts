/** Golden captures (copied from ../shared/celery-protocol/captures) as raw broker messages. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawMessage } from '../../src/engine/events/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function readNdjson<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(FIXTURES + file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export interface CapturedMessage {
  /** Local receive time of the capture (epoch seconds). */
  readonly t: number;
  readonly raw: RawMessage;
  /** The capture's own parsed view of the event body (object or task.multi list). */
  readonly body: unknown;
}

interface CaptureLine {
  t: number;
  routing_key?: string;
  properties?: { content_type?: string; content_encoding?: string };
  body_b64?: string;
  channel?: string;
  raw_b64?: string;
  body?: unknown;
  envelope?: { body: string };
}

export function loadCapture(transport: 'amqp' | 'redis'): CapturedMessage[] {
  return readNdjson<CaptureLine>(`${transport}-events.ndjson`).map((l) => {
    if (transport === 'amqp') {
      return {
        t: l.t,
        body: l.body,
        raw: {
          transport: 'amqp',
          routingKey: l.routing_key ?? '',
          contentType: l.properties?.content_type,
          contentEncoding: l.properties?.content_encoding,
          body: Buffer.from(l.body_b64 ?? '', 'base64'),
        },
      };
    }
    const payload = Buffer.from(l.raw_b64 ?? '', 'base64');
    const env = JSON.parse(payload.toString('utf8')) as { body: string };
    return {
      t: l.t,
      body: JSON.parse(Buffer.from(env.body, 'base64').toString('utf8')),
      raw: { transport: 'redis', channel: l.channel ?? '', payload },
    };
  });
}
