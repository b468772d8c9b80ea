/**
 * What went wrong connecting to a broker, said as ours: the library's error (amqplib's "Expected
 * ConnectionOpenOk; got <ConnectionClose channel:0>", ioredis' "NOAUTH ...", a socket's
 * ECONNREFUSED) turned into the cause and the fix, in one sentence. Every "cannot reach the
 * broker" message, of every transport and caller, says it this way.
 */
import type { BrokerUrl } from './url.js';

const codeOf = (e: unknown): string | undefined => (e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined);
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');

/** The parts of the URL a fix names. */
function partsOf(url: string): { host: string; user: string; vhost: string } {
  try {
    const u = new URL(url);
    const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
    return { host: u.host || 'localhost', user: decodeURIComponent(u.username) || 'guest', vhost: path === '' ? '/' : path };
  } catch {
    return { host: 'the host', user: 'guest', vhost: '/' };
  }
}

/** Causes common to both transports (the socket's), or null. */
function socketCause(e: unknown, host: string, service: string): string | null {
  const code = codeOf(e);
  const text = messageOf(e);
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)) {
    return `nothing listens on ${host} (connection refused): start ${service}, or fix the host and port in the URL`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND/.test(text)) return `unknown host ${host.replace(/:\d+$/, '')}: fix the host in the URL`;
  if (code === 'ETIMEDOUT' || /^no answer within/.test(text) || /timed? ?out/i.test(text)) {
    return `no answer from ${host} (${text}): is ${service} running there, and is the port reachable from here?`;
  }
  return null;
}

/** RabbitMQ: the cause and the fix. */
export function explainAmqpError(url: string, e: unknown): string {
  const { host, user, vhost } = partsOf(url);
  const text = messageOf(e);
  const socket = socketCause(e, host, 'RabbitMQ');
  if (socket !== null) return socket;
  if (/ACCESS.REFUSED|Login was refused|\b403\b/.test(text)) {
    return `RabbitMQ refused the login of user "${user}": fix the user and password in the URL (amqp://USER:PASSWORD@${host}/…)`;
  }
  // A passive declare (`--tap QUEUE`) or a bind to an exchange that is not there: the vhost is fine.
  const missing = /NOT_FOUND - no (queue|exchange) '((?:[^']|\\')*)' in vhost/.exec(text);
  if (missing !== null) {
    const [, kind, name] = missing;
    return kind === 'queue'
      ? `RabbitMQ has no queue "${name}" in vhost "${vhost}": fix the name, or declare it and route task messages to it (--tap-exchange makes a queue of clearly's own)`
      : `RabbitMQ has no exchange "${name}" in vhost "${vhost}": fix the name (rabbitmqctl -p '${vhost.replace(/'/g, "'\\''")}' list_exchanges shows them)`;
  }
  // The handshake's last step opens the vhost; RabbitMQ closes the connection there when the vhost
  // does not exist or the user has no permission on it (530 NOT_ALLOWED, which amqplib does not show).
  if (/Expected ConnectionOpenOk|NOT_ALLOWED|vhost/i.test(text)) {
    const v = vhost.replace(/'/g, "'\\''");
    return (
      `RabbitMQ has no vhost "${vhost}", or user "${user}" may not use it: create it ` +
      `(rabbitmqctl add_vhost '${v}' && rabbitmqctl set_permissions -p '${v}' ${user} '.*' '.*' '.*') or fix the vhost in the URL ` +
      `(the path after the port; amqp://${host}// is the default vhost "/")`
    );
  }
  if (/Socket closed abruptly|ECONNRESET|Unexpected|frame/i.test(text)) {
    return `${host} does not speak AMQP (${text}): is that RabbitMQ's port (5672 by default)?`;
  }
  return `${text}: check that RabbitMQ is running and that the host, port, vhost and credentials in the URL are right`;
}

/** Redis: the cause and the fix. */
export function explainRedisError(url: string, e: unknown): string {
  const { host } = partsOf(url);
  const text = messageOf(e);
  const socket = socketCause(e, host, 'Redis');
  if (socket !== null) return socket;
  if (/NOAUTH|Authentication required/i.test(text)) {
    return `Redis at ${host} needs a password: give it in the URL (redis://:PASSWORD@${host}/0)`;
  }
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) {
    return `Redis at ${host} refused the password: fix it in the URL (redis://:PASSWORD@${host}/0)`;
  }
  if (/DB index is out of range/i.test(text)) {
    return `Redis at ${host} has no such database (16 by default, 0 to 15): fix the number at the end of the URL`;
  }
  if (/Protocol error|Connection is closed/i.test(text)) {
    return `${host} does not speak the Redis protocol (${text}): is that Redis's port (6379 by default)?`;
  }
  return `${text}: check that Redis is running and that the host, port, password and database in the URL are right`;
}

/** Either transport's explanation. */
export function explainConnectError(broker: Pick<BrokerUrl, 'transport' | 'url'>, e: unknown): string {
  return broker.transport === 'amqp' ? explainAmqpError(broker.url, e) : explainRedisError(broker.url, e);
}
