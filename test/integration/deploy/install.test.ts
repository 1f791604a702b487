// Installing the bot the way deploy/README.md says, on a bare cluster of its own: every documented shape is installed
// with the README's own commands (run as written, with the cluster's kubectl), rolls out, runs Ready on the three
// nodes, keeps its budget and its Services' endpoints, is changed into the next shape as "Changing shape" says, and
// is uninstalled as "Uninstall" says, leaving the cluster exactly as it found it.
//
// The pods do not run the bot: kwok has no kubelet, and marks a scheduled pod Running and Ready (probes are not run;
// the images are not pulled). What is real is everything up to the kubelet: admission (Pod Security `restricted`),
// the scheduler against the nodes' capacity, spread and anti-affinity, the controllers (Deployment, StatefulSet,
// disruption, EndpointSlice, volume binding, namespace deletion) and the test cluster's volume provisioner.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import * as k8s from '@kubernetes/client-node';
import {
  clusterObjects,
  difference,
  documented,
  renderWith,
  settle,
  userShell,
  type UserShell,
} from '../../support/install-kit.ts';
import { chartDir, manifestTools, repoRoot } from '../../support/manifest-tools.ts';
import { usePrivateCluster } from '../../support/private-cluster.ts';

jest.setTimeout(300_000);
const cluster = usePrivateCluster('install', { bot: false });
const namespace = 'coxswain';

/** A shape of deploy/: where it is, and whether it brings its own Redis (over TLS). */
interface Shape {
  readonly name: string;
  readonly dir: string;
  readonly ownRedis: boolean;
  readonly tls?: boolean;
  /** A kustomization of the user's own, as deploy/README.md shows one: its resources and components. */
  readonly composed?: { readonly resources: readonly string[]; readonly components: readonly string[] };
  /** Installed with Helm instead: the user's my-values.yaml. */
  readonly helmValues?: string;
}

const oneDeployment: Shape = { name: 'one Deployment', dir: 'deploy/', ownRedis: false };
const split: Shape = { name: 'split roles', dir: 'deploy/overlays/split', ownRedis: false };
const withRedis: Shape = { name: 'with Redis', dir: 'deploy/overlays/with-redis', ownRedis: true };
const impersonation: Shape = { name: 'impersonation', dir: 'deploy/overlays/impersonation', ownRedis: false };
const helmAll: Shape = { name: 'Helm, defaults', dir: chartDir, ownRedis: false, helmValues: 'shape: all\n' };
const helmSplitRedis: Shape = {
  name: 'Helm, split roles with Redis',
  dir: chartDir,
  ownRedis: true,
  helmValues: 'shape: split\nredis:\n  bundled: true\n',
};
const splitRedisTls: Shape = {
  name: 'split roles with Redis over TLS',
  dir: '.tmp/install-test/my-coxswain',
  ownRedis: true,
  tls: true,
  composed: {
    resources: ['deploy/overlays/split'],
    components: ['deploy/components/redis', 'deploy/components/redis-tls'],
  },
};

/**
 * Each shape, and the shape it is then changed into, with the README's commands for that change run after the new
 * shape's `kubectl apply -k`: one Deployment → split → with Redis → impersonation → one Deployment, and split with
 * Redis over TLS → one Deployment, cover every section of "Changing shape"; the chart is installed and upgraded.
 */
const journeys: readonly (readonly [Shape, Shape, readonly string[]])[] = [
  [oneDeployment, split, ['kubectl -n coxswain delete deployment/coxswain']],
  [
    split,
    withRedis,
    ['kubectl -n coxswain delete deployment/coxswain-gateway', 'kubectl -n coxswain delete secret/coxswain-redis'],
  ],
  [
    withRedis,
    impersonation,
    ['kubectl -n coxswain delete statefulset,service,networkpolicy,secret,persistentvolumeclaim'],
  ],
  [impersonation, oneDeployment, ['kubectl delete clusterrolebinding/coxswain-impersonate']],
  [
    splitRedisTls,
    oneDeployment,
    [
      'kubectl -n coxswain delete deployment/coxswain-gateway',
      'kubectl -n coxswain delete statefulset,service,networkpolicy,secret,persistentvolumeclaim',
      'kubectl -n coxswain delete secret/coxswain-redis-tls',
    ],
  ],
  // Helm removes what the new values no longer render: no deletions by hand.
  [helmAll, helmSplitRedis, []],
];

let shell: UserShell;
let admin: k8s.KubeConfig;
let pristine: Set<string>;

beforeAll(async () => {
  shell = userShell(cluster.state, [dirname((await manifestTools()).helm)]);
  admin = cluster.admin;
  // One of the two namespaces the shipped policy lets people change (deploy/base/policy.yaml: prod and staging), as
  // a cluster might have: the write grant goes to prod, and staging is said to be missing.
  await shell.run('kubectl create namespace prod');
  // What the controllers add to a new namespace, before the picture is taken.
  await settle('the new namespace to be complete', async () => {
    const objects = await clusterObjects(shell);
    return ['ServiceAccount prod/default', 'ConfigMap prod/kube-root-ca.crt'].filter((o) => !objects.has(o));
  });
  pristine = await clusterObjects(shell);
  // The user's own kustomization, as deploy/README.md shows it ("The split roles with this Redis").
  const { dir, composed } = splitRedisTls;
  await mkdir(join(repoRoot, dir), { recursive: true });
  const rel = (paths: readonly string[]): string =>
    paths.map((p) => JSON.stringify(relative(join(repoRoot, dir), join(repoRoot, p)))).join(', ');
  await writeFile(
    join(repoRoot, dir, 'kustomization.yaml'),
    `resources: [${rel(composed?.resources ?? [])}]\ncomponents: [${rel(composed?.components ?? [])}]\n`,
  );
}, 600_000); // helm may have to be built first (build-tools.sh; .ci/run builds it before the suite)

afterAll(async () => {
  await rm(join(repoRoot, '.tmp', 'install-test'), { recursive: true, force: true });
});

afterEach(async () => {
  // Whatever a failed test left, so the next starts from a bare cluster too.
  for (const file of ['slack.env', 'redis.env', 'ca.key', 'ca.crt', 'tls.key', 'tls.crt', 'my-values.yaml']) {
    await rm(join(repoRoot, file), { force: true });
  }
  await shell.run(
    '(helm uninstall coxswain -n coxswain --wait --ignore-not-found || true) && ' +
      'kubectl delete namespace coxswain --ignore-not-found --wait=true && ' +
      'kubectl delete clusterrole,clusterrolebinding -l app.kubernetes.io/name=coxswain --ignore-not-found && ' +
      'kubectl delete rolebinding -A -l app.kubernetes.io/component=write-grant --ignore-not-found',
  );
});

/** Runs a documented command; `kubectl apply` and `helm install|upgrade` must print no warning (Pod Security's
 * among them). Returns stderr. */
async function run(command: string): Promise<string> {
  const { stderr } = await shell.run(command);
  const applies =
    /^\s*(kubectl\s+apply|helm\s+(install|upgrade))\b/.test(command) || command.includes('| kubectl apply');
  if (applies) expect(stderr).not.toMatch(/Warning/i);
  return stderr;
}

/** The README's step 4: the Redis Secret for a Redis of one's own, or the bundled Redis's password. */
async function createRedisSecret(shape: Shape): Promise<void> {
  if (shape.ownRedis) {
    await run(documented('kubectl -n coxswain create secret generic coxswain-redis-auth'));
    if (shape.tls) await createRedisCertificate();
    return;
  }
  await writeFile(
    join(repoRoot, 'redis.env'),
    'REDIS_URL=rediss://coxswain:not-a-real-password@redis.example.internal:6380/0\n',
  );
  await run(documented('kubectl -n coxswain create secret generic coxswain-redis'));
}

/** "Over TLS", by hand with OpenSSL; the certificate must pass the check the bot makes (COXSWAIN_REDIS_CA). */
async function createRedisCertificate(): Promise<void> {
  const openssl = 'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365';
  await run(documented(`${openssl} -subj /CN=coxswain-redis-ca`));
  await run(documented(`${openssl} -subj /CN=coxswain-redis`));
  await run(documented('kubectl -n coxswain create secret generic coxswain-redis-tls'));
  const secret = await cluster.core.readNamespacedSecret({ name: 'coxswain-redis-tls', namespace });
  const file = (key: string): Buffer => Buffer.from(secret.data?.[key] ?? '', 'base64');
  const served = { cert: file('tls.crt'), key: file('tls.key') };
  for (const name of ['coxswain-redis', 'coxswain-redis.coxswain.svc.cluster.local']) {
    expect(await handshake(served, file('ca.crt'), name)).toBe('trusted');
  }
  expect(await handshake(served, file('ca.crt'), 'redis.example.com')).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
}

/** A TLS handshake on loopback: a server with `served`, a client trusting only `ca` and asking for `servername`. */
async function handshake(served: { cert: Buffer; key: Buffer }, ca: Buffer, servername: string): Promise<string> {
  const server = createTlsServer(served, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername }, () => {
        socket.end();
        resolve('trusted');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    server.close();
  }
}

async function rollOut(shape: Shape): Promise<void> {
  await run(documented('kubectl -n coxswain rollout status deployment'));
  if (shape.ownRedis) await run(documented('kubectl -n coxswain rollout status statefulset'));
}

/** deploy/README.md's Install, steps 2 to 9, on a bare cluster. */
async function install(shape: Shape): Promise<void> {
  await run(documented('kubectl apply -f deploy/base/namespace.yaml'));
  await writeFile(
    join(repoRoot, 'slack.env'),
    'SLACK_SIGNING_SECRET=0123456789abcdef0123456789abcdef\nSLACK_BOT_TOKEN=xoxb-not-a-real-token\nSLACK_APP_TOKEN=xapp-not-a-real-token\n',
  );
  await run(documented('kubectl -n coxswain create secret generic coxswain-slack'));
  await createRedisSecret(shape);
  await run(documented('kubectl -n coxswain create secret generic coxswain-seal'));
  const granted = await run(
    documented('npm run -s rbac -- deploy/base/policy.yaml --from-cluster | kubectl apply -f -'),
  );
  expect(granted).toContain('coxswain rbac: Not granted, not in the cluster: staging;');
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  expect((await rbac.readNamespacedRoleBinding({ name: 'coxswain-write', namespace: 'prod' })).subjects).toEqual([
    { kind: 'ServiceAccount', name: 'coxswain', namespace: 'coxswain' },
  ]);
  await run(await apply(shape));
  await rollOut(shape);
}

/**
 * Step 9's command for the shape; a kustomization of one's own is applied the same way. With Helm, my-values.yaml is
 * written first, and the chart installed, or upgraded when it is installed already.
 */
async function apply(shape: Shape, upgrade = false): Promise<string> {
  if (shape.helmValues === undefined) {
    return shape.composed ? `kubectl apply -k ${shape.dir}` : documented(`kubectl apply -k ${shape.dir}`);
  }
  await writeFile(join(repoRoot, 'my-values.yaml'), shape.helmValues);
  return documented(upgrade ? 'helm upgrade coxswain charts/coxswain' : 'helm install coxswain charts/coxswain');
}

/** What the shape's own tool renders. */
const render = (shape: Shape): Promise<k8s.KubernetesObject[]> =>
  renderWith(
    shell,
    shape.helmValues === undefined
      ? `kubectl kustomize ${shape.dir}`
      : 'helm template coxswain charts/coxswain -n coxswain -f my-values.yaml',
  );

/** deploy/README.md's Uninstall, for kustomize or for Helm. */
async function uninstall(shape: Shape): Promise<void> {
  await run(documented('npm run -s rbac -- deploy/base/policy.yaml --from-cluster | kubectl delete -f -'));
  if (shape.helmValues === undefined) {
    await run(documented('kubectl delete -k deploy/').replace('deploy/', shape.dir));
    return;
  }
  await run(documented('helm uninstall coxswain -n coxswain'));
  await run(documented('kubectl delete -f deploy/base/namespace.yaml'));
}

// ---------------------------------------------------------------------------------------------------------------
// What a user would check after a rollout, each as a list of problems (empty: all is well).

const named = (o: k8s.KubernetesObject): string => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`;
const replicasOf = (o: k8s.KubernetesObject): number => (o as { spec?: { replicas?: number } }).spec?.replicas ?? 1;

/** Exactly the shape's objects of these kinds exist: nothing of an earlier shape is left running beside it. */
async function leftovers(rendered: readonly k8s.KubernetesObject[]): Promise<string[]> {
  const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
  const kinds = [
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['policy/v1', 'PodDisruptionBudget'],
    ['v1', 'Service'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ] as const;
  const problems: string[] = [];
  for (const [apiVersion, kind] of kinds) {
    const clusterScoped = kind.startsWith('Cluster');
    // A list's items carry no kind of their own.
    const live = (await objects.list(apiVersion, kind, clusterScoped ? undefined : namespace)).items
      .map((o) => `${kind}/${o.metadata?.name ?? ''}`)
      .filter((n) => !clusterScoped || n.startsWith(`${kind}/coxswain`));
    const want = rendered.filter((o) => o.kind === kind).map(named);
    for (const extra of live.filter((n) => !want.includes(n))) problems.push(`${extra} is left from an earlier shape`);
    for (const missing of want.filter((n) => !live.includes(n))) problems.push(`${missing} is missing`);
  }
  return problems;
}

const workloadsOf = (rendered: readonly k8s.KubernetesObject[]): k8s.KubernetesObject[] =>
  rendered.filter((w) => w.kind === 'Deployment' || w.kind === 'StatefulSet');

/** A workload's replicas as its status counts them. */
async function replicaStatus(o: k8s.KubernetesObject): Promise<{ ready: number; updated: number; total: number }> {
  const apps = admin.makeApiClient(k8s.AppsV1Api);
  const name = o.metadata?.name ?? '';
  const status =
    o.kind === 'Deployment'
      ? (await apps.readNamespacedDeployment({ name, namespace })).status
      : (await apps.readNamespacedStatefulSet({ name, namespace })).status;
  return { ready: status?.readyReplicas ?? 0, updated: status?.updatedReplicas ?? 0, total: status?.replicas ?? 0 };
}

/** Every workload has all its replicas updated and Ready, and every pod of the namespace is one of them. */
async function unready(rendered: readonly k8s.KubernetesObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of workloadsOf(rendered)) {
    const want = replicasOf(o);
    const { ready, updated, total } = await replicaStatus(o);
    if (ready !== want || updated !== want || total !== want) {
      problems.push(`${named(o)}: ${ready} ready, ${updated} updated of ${total} (want ${want})`);
    }
  }
  const pods = (await cluster.core.listNamespacedPod({ namespace })).items;
  const want = workloadsOf(rendered).reduce((sum, o) => sum + replicasOf(o), 0);
  if (pods.length !== want) problems.push(`${pods.length} pods, want ${want}`);
  for (const pod of pods) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || pod.metadata?.deletionTimestamp) problems.push(`pod ${pod.metadata?.name ?? ''} is not Ready`);
  }
  return problems;
}

/** Replicas of one workload on different nodes: the spread and anti-affinity deploy/ asks for, on three nodes. */
async function unspread(rendered: readonly k8s.KubernetesObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of rendered.filter((w) => w.kind === 'Deployment' && replicasOf(w) > 1)) {
    const selector = (o as k8s.V1Deployment).spec?.selector.matchLabels ?? {};
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const nodes = (await cluster.core.listNamespacedPod({ namespace, labelSelector })).items.map(
      (p) => p.spec?.nodeName,
    );
    if (new Set(nodes).size !== nodes.length)
      problems.push(`${named(o)} has replicas sharing a node: ${String(nodes)}`);
  }
  return problems;
}

/** Every budget allows exactly one disruption (all its pods healthy, maxUnavailable 1). */
async function budgets(rendered: readonly k8s.KubernetesObject[]): Promise<string[]> {
  const policy = admin.makeApiClient(k8s.PolicyV1Api);
  const problems: string[] = [];
  for (const o of rendered.filter((b) => b.kind === 'PodDisruptionBudget')) {
    const pdb = await policy.readNamespacedPodDisruptionBudget({ name: o.metadata?.name ?? '', namespace });
    const allowed = pdb.status?.disruptionsAllowed;
    if (allowed !== 1) problems.push(`${named(o)} allows ${String(allowed)} disruptions, want 1`);
  }
  return problems;
}

/** Every Service has a ready endpoint for each pod it selects, and selects some. */
async function endpoints(rendered: readonly k8s.KubernetesObject[]): Promise<string[]> {
  const discovery = admin.makeApiClient(k8s.DiscoveryV1Api);
  const problems: string[] = [];
  for (const o of rendered.filter((s) => s.kind === 'Service')) {
    const name = o.metadata?.name ?? '';
    const selector = (o as k8s.V1Service).spec?.selector ?? {};
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const selected = (await cluster.core.listNamespacedPod({ namespace, labelSelector })).items.length;
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace,
      labelSelector: `kubernetes.io/service-name=${name}`,
    });
    const ready = slices.items.flatMap((s) => s.endpoints).filter((e) => e?.conditions?.ready === true).length;
    if (selected === 0 || ready !== selected)
      problems.push(`Service/${name}: ${ready} ready endpoints, ${selected} pods`);
  }
  return problems;
}

/** Every claim of the namespace (the Redis's) is bound to a volume the provisioner made. */
async function unbound(): Promise<string[]> {
  const claims = (await cluster.core.listNamespacedPersistentVolumeClaim({ namespace })).items;
  return claims.filter((c) => c.status?.phase !== 'Bound').map((c) => `claim ${c.metadata?.name ?? ''} is not Bound`);
}

/** The shape runs as a user expects it to, once the controllers have caught up. */
async function expectRunning(shape: Shape): Promise<void> {
  const rendered = await render(shape);
  await settle(`${shape.name}: exactly its objects`, () => leftovers(rendered));
  await settle(`${shape.name}: every replica updated and Ready`, () => unready(rendered));
  await settle(`${shape.name}: replicas on different nodes`, () => unspread(rendered));
  await settle(`${shape.name}: budgets allowing one disruption`, () => budgets(rendered));
  await settle(`${shape.name}: Services with endpoints`, () => endpoints(rendered));
  await settle(`${shape.name}: claims bound`, unbound);
  if (shape.ownRedis)
    expect((await cluster.core.listNamespacedPersistentVolumeClaim({ namespace })).items).toHaveLength(1);
}

describe.each(journeys.map(([first, next, change]) => [first.name, first, next, change] as const))(
  'deploy/README.md on a bare cluster: %s',
  (_, first, next, changeCommands) => {
    it(`installs ${first.name}, changes it into ${next.name}, and uninstalls, leaving nothing`, async () => {
      await install(first);
      await expectRunning(first);

      // "Changing shape": the next shape's Secret if its Redis differs, its apply, its rollout, then the deletions.
      if (next.ownRedis !== first.ownRedis) await createRedisSecret(next);
      await run(await apply(next, first.helmValues !== undefined));
      await rollOut(next);
      for (const prefix of changeCommands) await run(documented(prefix));
      await expectRunning(next);

      await uninstall(next);
      await settle(
        'the cluster to be as it was before the install',
        async () => {
          const { added, gone } = difference(pristine, await clusterObjects(shell));
          return [...added.map((o) => `left behind: ${o}`), ...gone.map((o) => `removed: ${o}`)];
        },
        120_000,
      );
    });
  },
);
