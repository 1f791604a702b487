// `npm run demo`: Coxswain with no Slack workspace and no cluster of your own.
// It brings up the local test cluster (building it once), uses the Redis on
// 127.0.0.1:6379 or starts one of its own, puts sample deployments in their
// starting state — `web` and `api` healthy, `worker` healthy at 0.8 and then
// crash-looping at 0.9, so an alert shows and `rollout undo` clears it — writes
// nothing outside its temp files, and opens `coxswain console` on the sample
// policy (test/support/policies/playground.yaml). Ctrl-C or :quit stops what it
// started, nothing else. `npm run demo -- "get pods -n playground"` runs lines and exits.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { allCommands } from '../../commands/index.ts';
import { runConsole } from '../../src/console/run-console.ts';
import {
  clusterDir,
  isClusterHealthy,
  readClusterState,
  startCluster,
  stopCluster,
  type ClusterState,
} from './cluster/cluster.ts';
import { waitUntil } from './cluster/processes.ts';
import { grantBotWrites, loadKubeConfig, makeDeployment } from './kube-objects.ts';
import { pingRedis, startPrivateRedis, type PrivateRedis } from './redis-server.ts';

const namespace = 'playground';
const sharedRedis = 'redis://127.0.0.1:6379';

async function ensureCluster(): Promise<{ state: ClusterState; started: boolean }> {
  const current = await readClusterState();
  if (current && (await isClusterHealthy(current))) return { state: current, started: false };
  console.log(
    'starting the local test cluster (the first time builds Kubernetes from source: about 9 minutes, with progress below)…',
  );
  return { state: await startCluster(), started: true };
}

async function ensureRedis(): Promise<{ url: string; own?: PrivateRedis }> {
  if (await pingRedis(sharedRedis)) return { url: sharedRedis };
  console.log('no Redis on 127.0.0.1:6379: starting one of our own…');
  const own = await startPrivateRedis();
  return { url: own.url, own };
}

/** kwok serves container logs from files in CRI format. */
const cri = (lines: readonly string[]): string =>
  lines.map((l, i) => `2026-01-01T00:00:${String(i).padStart(2, '0')}.000000000Z stdout F ${l}`).join('\n') + '\n';

/** The crash-looping worker's logs, so its alert shows what on-call would read (a credential in them, redacted). */
async function serveWorkerLogs(state: ClusterState, admin: k8s.KubeConfig): Promise<void> {
  const current = join(state.podLogsDir, 'playground-worker.log');
  const previous = join(state.podLogsDir, 'playground-worker.previous.log');
  await writeFile(current, cri(['worker 0.9 starting']));
  await writeFile(
    previous,
    cri([
      'worker 0.9 starting',
      'loading config from /etc/worker/config.yaml',
      'connecting to postgres://worker:s3cr3t-pa55@db.playground:5432/jobs',
      'panic: dial tcp 10.96.14.7:5432: connect: connection refused',
      '',
      'goroutine 1 [running]:',
      'main.main()',
      '\t/src/cmd/worker/main.go:42 +0x1d4',
    ]),
  );
  const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
  await objects
    .create({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name: 'coxswain-demo-worker' },
      spec: {
        selector: { matchNamespaces: [namespace] },
        logs: [{ containers: ['worker'], logsFile: current, previousLogsFile: previous }],
      },
    } as k8s.KubernetesObject)
    .catch(() => undefined);
}

/** Creates the deployment, or puts it back as `body` says: a demo run before on a kept cluster may have changed it. */
async function putDeployment(apps: k8s.AppsV1Api, body: k8s.V1Deployment): Promise<void> {
  const name = body.metadata?.name ?? '';
  const current = await apps.readNamespacedDeployment({ name, namespace }).catch((error: unknown) => {
    if ((error as { code?: number } | null)?.code === 404) return undefined;
    throw error;
  });
  if (!current) {
    await apps.createNamespacedDeployment({ namespace, body });
    return;
  }
  await apps.replaceNamespacedDeployment({
    name,
    namespace,
    body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } },
  });
}

/** Waits until every replica of the deployment runs its current template and is available. */
async function waitForRollout(apps: k8s.AppsV1Api, name: string): Promise<void> {
  await waitUntil(
    async () => {
      const { metadata, spec, status } = await apps.readNamespacedDeployment({ name, namespace });
      const wanted = spec?.replicas ?? 1;
      return (
        (status?.observedGeneration ?? 0) >= (metadata?.generation ?? 1) &&
        status?.replicas === wanted &&
        status.updatedReplicas === wanted &&
        status.availableReplicas === wanted
      );
    },
    { what: `deployment ${name} in ${namespace} to be available`, timeoutMs: 60_000 },
  );
}

async function seed(state: ClusterState): Promise<void> {
  const admin = loadKubeConfig(state.adminKubeconfig);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const apps = admin.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => undefined);
  // What `coxswain rbac` generates for the playground's policy: the bot may change Deployments here only.
  await grantBotWrites(admin, namespace);
  await serveWorkerLogs(state, admin);
  const slow = { 'pod-ready.stage.kwok.x-k8s.io/delay': '1s' };
  const healthy = [
    makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 3, podAnnotations: slow }),
    makeDeployment('api', 'ghcr.io/acme/api:2.3', { replicas: 2 }),
    makeDeployment('worker', 'ghcr.io/acme/worker:0.8', { replicas: 2 }),
  ];
  await Promise.all(healthy.map((body) => putDeployment(apps, body)));
  await Promise.all(healthy.map((body) => waitForRollout(apps, body.metadata?.name ?? '')));
  // worker 0.9 is a bad release on top of a good one: its rollout stalls on a crash-looping pod
  // while 0.8 keeps serving, and `rollout undo worker` has 0.8 to go back to.
  await putDeployment(apps, makeDeployment('worker', 'ghcr.io/acme/worker:0.9-crashloop', { replicas: 2 }));
}

async function main(commands: readonly string[]): Promise<void> {
  const { state, started } = await ensureCluster();
  const redis = await ensureRedis();
  try {
    await seed(state);
    console.log(
      'Sample deployments web, api (healthy) and worker (0.8 healthy, then 0.9 crash-looping: watch its alert) are in namespace playground.',
    );
    console.log(
      "Try: get pods -n playground · deploy web ghcr.io/acme/web:1.1 -n playground · deploy api ghcr.io/acme/api:2.4 -n playground (needs U0BOB's approval) · rollout undo worker -n playground",
    );
    await runConsole({
      env: {
        KUBECONFIG: state.botKubeconfig,
        REDIS_URL: redis.url,
        COXSWAIN_CLUSTER: `demo-${randomBytes(3).toString('hex')}`,
        COXSWAIN_LOG_LEVEL: 'error',
        COXSWAIN_POLICY: fileURLToPath(new URL('./policies/playground.yaml', import.meta.url)),
        COXSWAIN_FAILURE_GRACE: '5s',
        // A key of its own, as docs/security.md asks, so the demo opens without the bot's warning about it; its
        // approvals live in this run's keys only (the cluster name above), so a new key per run loses nothing.
        COXSWAIN_SEAL_KEY: randomBytes(32).toString('hex'),
      },
      specs: allCommands,
      groups: { S0ADMINS: ['U0ALICE'] },
      commands,
    });
  } finally {
    await redis.own?.destroy();
    if (started && process.env['COXSWAIN_KEEP_CLUSTER'] !== '1') await stopCluster(clusterDir(), { purge: true });
  }
}

process.once('SIGINT', () => {
  process.stdin.destroy();
});
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
