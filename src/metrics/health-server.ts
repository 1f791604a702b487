// The HTTP endpoints every role serves: /healthz (the process runs), /readyz
// (it can work: Redis, and the API server for roles that call it) and /metrics.
// The gateway serves them through Bolt; the worker and the watcher alone
// through this small server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.ts';

/** What keeps the process from being ready, e.g. ['redis (worker)']; empty when ready. */
export type Readiness = () => Promise<readonly string[]>;

function answerReadiness(ready: Readiness, res: ServerResponse): void {
  void ready()
    .catch((): readonly string[] => ['readiness check failed'])
    .then((problems) => {
      res
        .writeHead(problems.length === 0 ? 200 : 503, { 'content-type': 'text/plain' })
        .end(problems.length === 0 ? 'ok\n' : `not ready: ${problems.join(', ')} unreachable\n`);
    });
}

/** Answers /healthz, /readyz (503 naming what is unreachable) and /metrics; false when the path is not one of them. */
export function serveHealth(ready: Readiness): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return false;
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return true;
    }
    if (path === '/readyz') {
      answerReadiness(ready, res);
      return true;
    }
    if (path === '/metrics') {
      void registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return true;
    }
    return false;
  };
}

/** A started health server. */
export interface HealthServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** Serves the health endpoints on `port` (0: any free port) on every interface, as a pod's probes need. */
export async function startHealthServer(port: number, ready: Readiness): Promise<HealthServer> {
  const handle = serveHealth(ready);
  const server: Server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
