// Every client-node call goes through here so no raw client exception escapes
// src/kube/: callers get AppErrors only.
import type { KubeClients } from './kube-clients.ts';
import { toKubeError } from './kube-errors.ts';

/**
 * Runs one API call and maps its failure to an AppError. `what` names the
 * object for "not found" and "conflict" wording, e.g. 'deployment "web" in namespace "x"'.
 */
export async function callKube<T>(clients: KubeClients, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKubeError(error, {
      server: clients.server,
      ...(clients.actingAs ? { actingAs: clients.actingAs } : {}),
      what,
    });
  }
}
