// The HTTP endpoints every role serves: /healthz (the process runs), /readyz
// (it can work: Redis, and the API server for roles that call it) and /metrics.
// The gateway serves them through Bolt; the worker and the watcher alone
// through this small server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../metrics/metrics.ts';

/** Answers /healthz, /readyz and /metrics; false when the path is not one of them. */
export function serveHealth(ready: () => Promise<boolean>): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return false;
    if (path === '/healthz') { res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'); return true; }
    if (path === '/readyz') {
      void ready().catch(() => false).then((ok) => res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n'));
      return true;
    }
    if (path === '/metrics') {
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end());
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
export async function startHealthServer(port: number, ready: () => Promise<boolean>): Promise<HealthServer> {
  const handle = serveHealth(ready);
  const server: Server = createServer((req, res) => { if (!handle(req, res)) res.writeHead(404).end(); });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, () => resolve()); });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
