/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` in the text exposition format.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createLogger } from '../logging/logger.js';

const log = createLogger('metrics');

/** A running `/metrics` server. */
export interface MetricsHttpServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `registry` on `host:port` (port 0 picks a free one). */
export async function startMetricsHttpServer(
  registry: Registry,
  host: string,
  port: number,
): Promise<MetricsHttpServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (caught: unknown) => {
        log.error('metrics collection failed', { error: caught });
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const boundPort = (server.address() as AddressInfo).port;
  log.info('metrics endpoint listening', { port: boundPort });
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
