// Readiness of the API server as the bot sees it: GET /version answers (every
// identity may read it), within a bound, so /readyz never hangs on a dead server.
import { kubeJson, type KubeConnection } from './kube-connection.ts';

/** A probe of the API server for /readyz; resolves false rather than throwing. */
export function apiServerProbe(connection: KubeConnection, timeoutMs = 2000): () => Promise<boolean> {
  return () =>
    kubeJson(connection, '/version', { signal: AbortSignal.timeout(timeoutMs) }).then(
      () => true,
      () => false,
    );
}
