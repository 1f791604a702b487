// Readiness of the API server as the bot sees it: GET /version answers (every
// identity may read it), within a bound, so /readyz never hangs on a dead server.
import * as k8s from '@kubernetes/client-node';
import type { KubeClients } from './kube-clients.ts';

/** A probe of the API server for /readyz; resolves false rather than throwing. */
export function apiServerProbe(clients: KubeClients, timeoutMs = 2000): () => Promise<boolean> {
  const version = clients.config.makeApiClient(k8s.VersionApi);
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    try {
      return await Promise.race([version.getCode().then(() => true, () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
