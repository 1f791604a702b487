// A control plane of one test file's own, for tests that stop its parts: the
// shared test cluster serves every test file at once and must never go down.
// It lives in its own directory under the OS temp dir, on its own free ports,
// and is stopped and deleted after the file's tests.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { restartApiServer, startCluster, stopCluster, type ClusterState } from './cluster/cluster.ts';
import { loadKubeConfig } from './kube-objects.ts';

/** What a test file gets from usePrivateCluster; filled in by beforeAll, read inside tests only. */
export interface PrivateCluster {
  readonly state: ClusterState;
  /** system:masters on this cluster. */
  readonly admin: k8s.KubeConfig;
  /** The bot's ServiceAccount on this cluster, with deploy/'s RBAC; unset when started with `bot: false` (bare). */
  readonly bot: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  /**
   * Stops its kube-apiserver, leaves it down `downMs`, starts it again on the same port and waits until it is ready.
   */
  restartApiServer(options: { readonly downMs: number }): Promise<void>;
}

/** How long beforeAll may take to start a control plane (about 5 s warm, more on a busy machine). */
const startTimeoutMs = 180_000;

/**
 * Starts a private test cluster before the calling file's tests and purges it
 * after them. Its namespaces, pods and API server are the file's to disturb. With `bot: false` it is bare, as a
 * user's cluster is before Coxswain is installed: no namespace coxswain, no bot identity.
 */
export function usePrivateCluster(prefix: string, options: { readonly bot?: boolean } = {}): PrivateCluster {
  const cluster = {} as { -readonly [K in keyof PrivateCluster]: PrivateCluster[K] };
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `coxswain-${prefix}-cluster-`));
    cluster.state = await startCluster({ dir, log: () => undefined, bot: options.bot ?? true });
    cluster.admin = loadKubeConfig(cluster.state.adminKubeconfig);
    if (options.bot !== false) cluster.bot = loadKubeConfig(cluster.state.botKubeconfig);
    cluster.core = cluster.admin.makeApiClient(k8s.CoreV1Api);
    cluster.restartApiServer = async (options) => {
      cluster.state = await restartApiServer(cluster.state, options);
    };
  }, startTimeoutMs);
  afterAll(async () => {
    if (dir) await stopCluster(dir, { purge: true });
  }, 60_000);
  return cluster;
}
