/**
 * The HTTP listener of `clearly server`'s metrics: GET /metrics (the Prometheus text exposition)
 * and GET /health (200 or 503 with a one-line reason). Everything else is 404. A scrape reads the
 * families as they are: it never waits on the broker.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthVerdict } from '../metrics/health.js';
import type { Exposition } from '../metrics/prom-registry.js';
import { address } from './listen.js';

export interface MetricsListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Why the address could not be had: `taken` (EADDRINUSE) or another reason (the message). */
export class MetricsBindError extends Error {
  constructor(
    readonly taken: boolean,
    readonly where: string,
    message: string,
  ) {
    super(message);
    this.name = 'MetricsBindError';
  }
}

export async function listenMetrics(exposition: Exposition, health: () => HealthVerdict, host: string, port: number): Promise<MetricsListener> {
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      exposition.text().then(
        (body) => res.writeHead(200, { 'content-type': exposition.contentType }).end(req.method === 'HEAD' ? undefined : body),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`failed to render metrics: ${(e as Error).message}\n`),
      );
      return;
    }
    if (path === '/health' || path === '/healthz') {
      const v = health();
      res.writeHead(v.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${v.reason}\n`);
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('clearly server: /metrics (Prometheus), /health\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics or /health\n');
  };
  const server = createServer(serve);
  server.keepAliveTimeout = 65_000; // longer than Prometheus' scrape interval, so its connection is kept
  const where = address(host, port);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new MetricsBindError(e.code === 'EADDRINUSE', where, `cannot serve metrics on ${where}: ${e.code === 'EADDRINUSE' ? 'the port is taken' : e.message}`)),
    );
    server.listen({ host: host.replace(/^\[|\]$/g, ''), port, exclusive: true }, resolve);
  });
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  return {
    host,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
