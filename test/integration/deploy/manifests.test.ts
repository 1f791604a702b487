// deploy/ as a cluster gets it. Every documented shape renders with kustomize; every
// object passes the API server's own validation and admission (server-side dry-run
// apply, so Pod Security `restricted` warnings are seen too); the pod templates carry
// the hardening deploy/README.md promises; and the bot's ServiceAccount, bound by
// deploy/base/rbac.yaml exactly, may do what src/kube calls and nothing more.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { loadPolicy } from '../../../src/policy/load-policy.ts';
import { loadKubeConfig, testCluster, useTestNamespace } from '../../support/kube.ts';
import {
  allShapes,
  deployShapes,
  installPrometheusCrds,
  manifestTools,
  renderShape,
  repoRoot,
  type RenderedShape,
} from '../../support/manifest-tools.ts';

const fieldManager = 'coxswain-deploy-test';
const bot = 'system:serviceaccount:coxswain:coxswain';
const image = /^ghcr\.io\/coxswain\/coxswain:\d+\.\d+\.\d+$/;
const rendered = new Map<string, RenderedShape>();
let admin: k8s.KubeConfig;
/** A namespace with the bot's write grant, as `coxswain rbac` makes it (useTestNamespace applies it). */
const granted = useTestNamespace('rbac-granted');

beforeAll(async () => {
  const tools = await manifestTools();
  for (const shape of allShapes) rendered.set(shape.name, await renderShape(tools, shape));
  const cluster = await testCluster();
  admin = loadKubeConfig(cluster.adminKubeconfig);
  // The monitoring shapes' ServiceMonitor and PrometheusRule are checked against the operator's own CRDs.
  await installPrometheusCrds(tools, cluster);
}, 300_000);

const shape = (name: string): RenderedShape => {
  const r = rendered.get(name);
  if (!r) throw new Error(`shape ${name} was not rendered`);
  return r;
};
const ofKind = <T extends k8s.KubernetesObject>(r: RenderedShape, kind: string): T[] =>
  r.objects.filter((o) => o.kind === kind) as T[];
const named = (o: k8s.KubernetesObject): string => `${o.kind}/${o.metadata?.name ?? '?'}`;

interface Workload extends k8s.KubernetesObject {
  spec: { replicas?: number; selector: k8s.V1LabelSelector; template: k8s.V1PodTemplateSpec };
}
const workloads = (r: RenderedShape): Workload[] => [
  ...ofKind<Workload>(r, 'Deployment'),
  ...ofKind<Workload>(r, 'StatefulSet'),
];
const podSpec = (w: Workload): k8s.V1PodSpec => {
  if (!w.spec.template.spec) throw new Error(`${named(w)} has no pod spec`);
  return w.spec.template.spec;
};

// ---------------------------------------------------------------------------------
// The API server's verdict, warnings included. client-node returns only the decoded
// body; the `Warning:` response headers (Pod Security's warn level, deprecations)
// are read by a middleware on an object API of our own.

interface ApplyVerdict {
  errors: string[];
  warnings: string[];
}

/** Warnings arrive as `299 - "text"` values, joined with ", " when there are several. */
function parseWarnings(header: string | undefined): string[] {
  return [...(header ?? '').matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) =>
    (m[1] ?? '').replace(/\\(.)/g, '$1'),
  );
}

function dryRunner(kc: k8s.KubeConfig): (obj: k8s.KubernetesObject) => Promise<ApplyVerdict> {
  const seen: string[] = [];
  const collect: k8s.Middleware = {
    pre: (context) => Promise.resolve(context),
    post: (response) => {
      seen.push(...parseWarnings(response.headers['warning']));
      return Promise.resolve(response);
    },
  };
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig names no cluster');
  const api = new k8s.KubernetesObjectApi(
    k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [collect],
    }),
  );
  return async (obj) => {
    seen.length = 0;
    const errors: string[] = [];
    try {
      await api.patch(obj, undefined, 'All', fieldManager, true, k8s.PatchStrategy.ServerSideApply);
    } catch (error) {
      const body = error instanceof k8s.ApiException ? JSON.stringify(error.body) : String(error);
      errors.push(`${named(obj)}: ${body}`);
    }
    return { errors, warnings: seen.map((w) => `${named(obj)}: ${w}`) };
  };
}

const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

describe.each(allShapes.map((s) => [s.name]))('deploy shape: %s', (name) => {
  it('puts every namespaced object in the coxswain namespace', () => {
    const elsewhere = shape(name).objects.filter(
      (o) => !clusterScoped.has(o.kind ?? '') && o.metadata?.namespace !== 'coxswain',
    );
    expect(elsewhere.map(named)).toEqual([]);
  });

  it('passes server-side dry-run apply of every object with no error and no warning', async () => {
    const apply = dryRunner(admin);
    const all: ApplyVerdict = { errors: [], warnings: [] };
    for (const obj of shape(name).objects) {
      const verdict = await apply(obj);
      all.errors.push(...verdict.errors);
      all.warnings.push(...verdict.warnings);
    }
    expect(all).toEqual({ errors: [], warnings: [] });
    expect(shape(name).objects.length).toBeGreaterThan(10);
  });

  it('runs every pod as a non-root user with a read-only root, no privileges, limits and probes', () => {
    const problems: string[] = [];
    for (const w of workloads(shape(name))) problems.push(...hardeningProblems(w));
    expect(problems).toEqual([]);
  });

  it('pins every image, and runs one version of the bot', () => {
    const images = workloads(shape(name)).flatMap((w) => podSpec(w).containers.map((c) => c.image ?? ''));
    expect(images.every((i) => /:[\w][\w.-]*$/.test(i) && !i.endsWith(':latest'))).toBe(true);
    const botImages = new Set(images.filter((i) => i.startsWith('ghcr.io/coxswain/')));
    expect([...botImages]).toHaveLength(1);
    expect([...botImages][0]).toMatch(image);
  });

  it('mounts the policy ConfigMap as a directory (no subPath), so the bot sees its updates', () => {
    for (const w of ofKind<Workload>(shape(name), 'Deployment')) {
      const container = podSpec(w).containers[0];
      const mount = container?.volumeMounts?.find((m) => m.mountPath === '/etc/coxswain');
      expect({ workload: named(w), mount }).toEqual({
        workload: named(w),
        mount: { name: 'policy', mountPath: '/etc/coxswain', readOnly: true },
      });
      expect(podSpec(w).volumes?.find((v) => v.name === 'policy')?.configMap?.name).toBe('coxswain-policy');
    }
    expect(ofKind<k8s.V1ConfigMap>(shape(name), 'ConfigMap').map((c) => c.metadata?.name)).toContain('coxswain-policy');
  });
});

/** What a restricted, production-ready pod needs; empty when nothing is missing. */
function hardeningProblems(w: Workload): string[] {
  const spec = podSpec(w);
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(`${named(w)}: ${what}`);
  };
  need(spec.securityContext?.runAsNonRoot === true, 'pod runAsNonRoot');
  need(spec.securityContext?.seccompProfile?.type === 'RuntimeDefault', 'pod seccompProfile RuntimeDefault');
  need(spec.enableServiceLinks === false, 'enableServiceLinks false');
  for (const c of spec.containers) containerProblems(c).forEach((p) => need(false, `${c.name}: ${p}`));
  return problems;
}

function containerProblems(c: k8s.V1Container): string[] {
  const sc = c.securityContext ?? {};
  const checks: [boolean, string][] = [
    [(sc.runAsUser ?? 0) >= 10000 && (sc.runAsGroup ?? 0) >= 10000, 'numeric runAsUser/runAsGroup ≥ 10000'],
    [sc.runAsNonRoot === true && sc.allowPrivilegeEscalation === false, 'non-root, no privilege escalation'],
    [sc.readOnlyRootFilesystem === true, 'read-only root filesystem'],
    [JSON.stringify(sc.capabilities) === JSON.stringify({ drop: ['ALL'] }), 'capabilities drop ALL, add none'],
    [sc.seccompProfile?.type === 'RuntimeDefault', 'seccompProfile RuntimeDefault'],
    [Boolean(c.livenessProbe && c.readinessProbe), 'liveness and readiness probes'],
    ...['cpu', 'memory', 'ephemeral-storage'].map((r): [boolean, string] => [
      Boolean(c.resources?.requests?.[r] && c.resources.limits?.[r]),
      `${r} request and limit`,
    ]),
  ];
  return checks.filter(([ok]) => !ok).map(([, what]) => what);
}

/** The one element of a list, or a clear failure. */
function only<T>(list: readonly T[] | undefined, what: string): T {
  if (list?.length !== 1 || list[0] === undefined)
    throw new Error(`expected exactly one ${what}, found ${list?.length ?? 0}`);
  return list[0];
}

// ---------------------------------------------------------------------------------

describe('the warning capture', () => {
  it('sees Pod Security warnings, so "no warning" above means something', async () => {
    const apply = dryRunner(admin);
    const verdict = await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coxswain-psa-probe', namespace: 'coxswain' },
      spec: {
        selector: { matchLabels: { probe: 'psa' } },
        template: {
          metadata: { labels: { probe: 'psa' } },
          spec: { containers: [{ name: 'root', image: 'busybox:1.37' }] },
        },
      },
    } as k8s.V1Deployment);
    expect(verdict.errors).toEqual([]);
    expect(verdict.warnings.join('\n')).toMatch(/would violate PodSecurity "restricted:v1\.35"/);
  });
});

describe('the default shape (kubectl apply -k deploy/)', () => {
  it('runs all roles in one Deployment with two replicas behind the gateway Service and a budget', () => {
    const r = shape(deployShapes[0]?.name ?? '');
    const deployments = ofKind<Workload>(r, 'Deployment');
    expect(deployments.map((d) => d.metadata?.name)).toEqual(['coxswain']);
    const [coxswain] = deployments;
    expect(coxswain?.spec.replicas).toBe(2);
    expect(coxswain && podSpec(coxswain).containers[0]?.args).toEqual(['start', '--role', 'all']);
    expect(coxswain && podSpec(coxswain).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
    expect(coxswain && podSpec(coxswain).topologySpreadConstraints?.length).toBeGreaterThan(0);
    const service = ofKind<k8s.V1Service>(r, 'Service').find((s) => s.metadata?.name === 'coxswain');
    expect(service?.spec?.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(service?.spec?.selector).toEqual(coxswain?.spec.selector.matchLabels);
    expect(
      ofKind<k8s.V1PodDisruptionBudget>(r, 'PodDisruptionBudget').map((p) => p.spec?.selector?.matchLabels),
    ).toEqual([coxswain?.spec.selector.matchLabels]);
    expect(ofKind(r, 'Secret')).toEqual([]); // the Slack and Redis Secrets are the user's, never rendered
  });

  it('labels the namespace for Pod Security restricted, pinned, and the live namespace carries them', async () => {
    const [ns] = ofKind<k8s.V1Namespace>(shape(deployShapes[0]?.name ?? ''), 'Namespace');
    const psa = Object.fromEntries(
      Object.entries(ns?.metadata?.labels ?? {}).filter(([k]) => k.startsWith('pod-security.kubernetes.io/')),
    );
    expect(psa).toEqual({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.35',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.35',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.35',
    });
    const live = await admin.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'coxswain' });
    expect(live.metadata?.labels).toMatchObject(psa);
  });

  it('allows ingress only to port 3000 and egress only to DNS, the API server, Redis and HTTPS', () => {
    const policies = ofKind<k8s.V1NetworkPolicy>(shape(deployShapes[0]?.name ?? ''), 'NetworkPolicy');
    const deny = policies.find((p) => p.metadata?.name === 'coxswain-default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const allow = policies.find((p) => p.metadata?.name === 'coxswain')?.spec ?? { podSelector: {} };
    expect((allow.ingress ?? []).flatMap((i) => i.ports ?? [])).toEqual([{ protocol: 'TCP', port: 3000 }]);
    const egress = allow.egress ?? [];
    expect(egress.map((e) => (e.ports ?? []).map((p) => `${p.protocol}/${p.port}`).join(' '))).toEqual([
      'UDP/53 TCP/53',
      'TCP/443 TCP/6443',
      'TCP/6379',
      'TCP/443',
    ]);
    expect(egress[3]?.to).toEqual([
      {
        ipBlock: {
          cidr: '0.0.0.0/0',
          except: expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) as unknown,
        },
      },
    ]);
  });

  it('ships a deny-most policy that validates and binds only placeholder IDs', async () => {
    const policy = await loadPolicy(join(repoRoot, 'deploy', 'base', 'policy.yaml'));
    const ids = policy.bindings.flatMap((b) => [...(b.users ?? []), ...(b.groups ?? []), ...(b.channels ?? [])]);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => !id.includes('REPLACEME'))).toEqual([]);
    expect(policy.alerts.routes.map((r) => r.channel).filter((c) => !c.includes('REPLACEME'))).toEqual([]);
  });
});

describe('the one-process shape (deploy/base)', () => {
  it("runs the image's ENTRYPOINT with V8 tuned for memory (--optimize-for-size)", () => {
    const entrypoint = JSON.parse(
      /^ENTRYPOINT (\[.*\])$/mu.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1] ?? '[]',
    ) as string[];
    expect(entrypoint).toHaveLength(2);
    const [all] = ofKind<Workload>(shape(deployShapes[0]?.name ?? ''), 'Deployment');
    expect(podSpec(all!).containers[0]?.command).toEqual([entrypoint[0], '--optimize-for-size', entrypoint[1]]);
    expect(podSpec(all!).containers[0]?.args).toEqual(['start', '--role', 'all']);
  });
});

describe('the split shape (deploy/overlays/split)', () => {
  it('replaces the all-roles Deployment with gateway, worker and watcher, two replicas and a budget each', () => {
    const r = shape('split roles');
    const deployments = ofKind<Workload>(r, 'Deployment');
    expect(
      deployments.map((d) => [d.metadata?.name, d.spec.replicas, podSpec(d).containers[0]?.args?.join(' ')]).sort(),
    ).toEqual([
      ['coxswain-gateway', 2, 'start --role gateway'],
      ['coxswain-watcher', 2, 'start --role watcher'],
      ['coxswain-worker', 2, 'start --role worker'],
    ]);
    // The gateway's and the watcher's commands are the image's ENTRYPOINT with V8 flags in between (they are not
    // allowed in NODE_OPTIONS); the worker runs the ENTRYPOINT as it is.
    const entrypoint = JSON.parse(
      /^ENTRYPOINT (\[.*\])$/mu.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1] ?? '[]',
    ) as string[];
    expect(entrypoint).toHaveLength(2);
    const flags = Object.fromEntries(
      deployments.map((d) => {
        const command = podSpec(d).containers[0]?.command;
        if (command) expect([command[0], command.at(-1)]).toEqual(entrypoint);
        return [d.metadata?.name ?? '', command?.slice(1, -1)] as const;
      }),
    );
    expect(flags).toEqual({
      'coxswain-gateway': ['--no-maglev'],
      'coxswain-watcher': ['--optimize-for-size'],
      'coxswain-worker': undefined,
    });
    const budgets = ofKind<k8s.V1PodDisruptionBudget>(r, 'PodDisruptionBudget').map(
      (p) => p.spec?.selector?.matchLabels,
    );
    expect(budgets.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      deployments.map((d) => d.spec.selector.matchLabels),
    );
    const service = ofKind<k8s.V1Service>(r, 'Service').find((s) => s.metadata?.name === 'coxswain');
    expect(service?.spec?.selector).toEqual({
      'app.kubernetes.io/name': 'coxswain',
      'app.kubernetes.io/component': 'gateway',
    });
  });
});

describe('the Redis shapes (deploy/components/redis)', () => {
  it.each([['with Redis'], ['split roles with Redis']])(
    '%s: an AOF-persistent Redis only the bot reaches, and REDIS_URL pointing at it',
    (name) => {
      const r = shape(name);
      const redis = only(
        ofKind<Workload & { spec: { volumeClaimTemplates?: k8s.V1PersistentVolumeClaim[] } }>(r, 'StatefulSet'),
        'StatefulSet',
      );
      const script = (only(podSpec(redis).containers, 'Redis container').args ?? []).join('\n');
      expect(script).toContain('exec redis-server --aclfile /run/redis/users.acl');
      expect(script).toContain('--appendonly yes');
      expect(script).toContain('noeviction');
      expect(script).toContain('user default off');
      expect(redis.spec.volumeClaimTemplates?.map((v) => v.metadata?.name)).toEqual(['data']);
      const policy = ofKind<k8s.V1NetworkPolicy>(r, 'NetworkPolicy').find((p) => p.metadata?.name === 'coxswain-redis');
      expect(policy?.spec?.ingress).toEqual([
        {
          from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coxswain' } } }],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ]);
      const secret = only(ofKind<k8s.V1Secret>(r, 'Secret'), 'Secret');
      expect(Buffer.from(secret.data?.['REDIS_URL'] ?? '', 'base64').toString()).toBe(
        'redis://coxswain@coxswain-redis:6379',
      );
      const refs = ofKind<Workload>(r, 'Deployment').map(
        (d) => secretKeyRefs(d).find((ref) => ref.key === 'REDIS_URL')?.name,
      );
      expect(new Set(refs)).toEqual(new Set([secret.metadata?.name]));
    },
  );
});

/** The Secret keys a workload's containers read. */
function secretKeyRefs(w: Workload): k8s.V1SecretKeySelector[] {
  return podSpec(w).containers.flatMap((c) =>
    (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [])),
  );
}

describe('deploy/examples', () => {
  it.each([
    ['slack-secret.yaml', ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'], 0],
    ['redis-secret.yaml', ['REDIS_URL'], 0],
    ['seal-secret.yaml', ['COXSWAIN_SEAL_KEY', 'COXSWAIN_SEAL_KEY_PREVIOUS', 'COXSWAIN_SEAL_KEY_PREVIOUS_UNTIL'], 0],
    ['redis-auth-secret.yaml', ['password'], 2],
  ] as const)(
    '%s holds placeholders only, for the keys the Deployments read, and is valid',
    async (file, keys, shapeIndex) => {
      const docs = parseAllDocuments(await readFile(join(repoRoot, 'deploy', 'examples', file), 'utf8')).map(
        (d) => d.toJS() as k8s.V1Secret,
      );
      const secret = only(docs, `object in ${file}`);
      const data = secret.stringData ?? {};
      expect(Object.keys(data)).toEqual(keys);
      expect(Object.values(data).filter((v) => !v.includes('REPLACE_ME'))).toEqual([]);
      // The default shape, or for the bundled Redis's password the shape with Redis.
      const deployments = ofKind<Workload>(shape(deployShapes[shapeIndex]?.name ?? ''), 'Deployment');
      const read = new Set(
        deployments
          .flatMap(secretKeyRefs)
          .filter((ref) => ref.name === secret.metadata?.name)
          .map((ref) => ref.key),
      );
      expect([...read].sort()).toEqual([...keys].sort());
      expect(await dryRunner(admin)(secret)).toEqual({ errors: [], warnings: [] });
    },
  );
});

// ---------------------------------------------------------------------------------
// The bot's Kubernetes permissions: what src/kube calls, asked of the API server's
// authorizer for the ServiceAccount bound by deploy/base/rbac.yaml.

interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  why: string;
}

/**
 * Every call src/kube makes, and where; namespace '' is every namespace at once, GRANTED a namespace with the bot's
 * write grant (a RoleBinding of coxswain-write, which `coxswain rbac` generates per namespace the policy changes).
 */
const GRANTED = '<granted>';
const needed: Access[] = [
  {
    group: 'apps',
    resource: 'deployments',
    verb: 'get',
    namespace: 'prod',
    why: 'read-deployment.ts: rollout status/history, approval plans',
  },
  {
    group: 'apps',
    resource: 'deployments',
    verb: 'list',
    namespace: 'prod',
    why: 'read-deployment.ts, get deployments',
  },
  { group: 'apps', resource: 'deployments', verb: 'watch', namespace: 'prod', why: 'follow-rollout.ts' },
  {
    group: 'apps',
    resource: 'deployments',
    verb: 'patch',
    namespace: GRANTED,
    why: 'patch-deployment.ts: deploy, rollout restart, undo',
  },
  {
    group: 'apps',
    resource: 'deployments',
    subresource: 'scale',
    verb: 'get',
    namespace: GRANTED,
    why: 'scale-deployment.ts',
  },
  {
    group: 'apps',
    resource: 'deployments',
    subresource: 'scale',
    verb: 'patch',
    namespace: GRANTED,
    why: 'scale-deployment.ts',
  },
  {
    group: 'apps',
    resource: 'replicasets',
    verb: 'list',
    namespace: 'prod',
    why: 'owned-replica-sets.ts: history, undo, rollout evidence',
  },
  {
    group: 'autoscaling',
    resource: 'horizontalpodautoscalers',
    verb: 'list',
    namespace: 'prod',
    why: 'find-autoscaler.ts: scale refuses under an HPA',
  },
  { resource: 'pods', verb: 'get', namespace: 'prod', why: 'read-logs.ts' },
  { resource: 'pods', verb: 'list', namespace: 'prod', why: 'read-logs.ts, rollout-evidence.ts, get pods' },
  { resource: 'pods', verb: 'list', namespace: '', why: 'pod-informer.ts: the watcher lists every namespace' },
  { resource: 'pods', verb: 'watch', namespace: '', why: 'pod-informer.ts, follow-rollout.ts' },
  { resource: 'pods', subresource: 'log', verb: 'get', namespace: 'prod', why: 'read-logs.ts: logs, alert log lines' },
  {
    resource: 'events',
    verb: 'list',
    namespace: 'prod',
    why: 'rollout-evidence.ts: warning events of a failed rollout or alert',
  },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'get', namespace: 'coxswain', why: 'leader-election.ts' },
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'create',
    namespace: 'coxswain',
    why: 'leader-election.ts',
  },
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'update',
    namespace: 'coxswain',
    why: 'leader-election.ts: renew, take over, release',
  },
];

/** What the bot must never be able to do. */
const refused: Access[] = [
  {
    group: 'apps',
    resource: 'deployments',
    verb: 'patch',
    namespace: 'prod',
    why: 'no write grant in prod: changes only where `coxswain rbac` granted them',
  },
  {
    group: 'apps',
    resource: 'deployments',
    subresource: 'scale',
    verb: 'patch',
    namespace: 'prod',
    why: 'no write grant in prod',
  },
  {
    group: 'apps',
    resource: 'deployments',
    verb: 'patch',
    namespace: '',
    why: 'no write anywhere at once (no ClusterRoleBinding of coxswain-write)',
  },
  {
    group: 'apps',
    resource: 'replicasets',
    verb: 'get',
    namespace: 'prod',
    why: 'listed only (owned-replica-sets.ts)',
  },
  { group: 'apps', resource: 'replicasets', verb: 'watch', namespace: 'prod', why: 'nothing watches ReplicaSets' },
  { resource: 'events', verb: 'watch', namespace: 'prod', why: 'events are listed, never watched' },
  { resource: 'secrets', verb: 'get', namespace: 'coxswain', why: "its own Slack tokens are the kubelet's business" },
  { resource: 'secrets', verb: 'list', namespace: '', why: 'no Secrets anywhere' },
  { resource: 'secrets', verb: 'watch', namespace: 'prod', why: 'no Secrets anywhere' },
  {
    resource: 'configmaps',
    verb: 'get',
    namespace: 'coxswain',
    why: 'the policy is mounted, not read through the API',
  },
  { resource: 'namespaces', verb: 'delete', why: 'no deletions' },
  { resource: 'namespaces', verb: 'create', why: 'no creations' },
  { resource: 'pods', verb: 'patch', namespace: 'prod', why: 'changes go through Deployments' },
  { resource: 'pods', verb: 'delete', namespace: 'prod', why: 'restart is a rollout, not a pod deletion' },
  { resource: 'pods', verb: 'create', namespace: 'prod', why: 'no workloads of its own' },
  { resource: 'pods', subresource: 'exec', verb: 'create', namespace: 'prod', why: 'no exec' },
  { resource: 'pods', subresource: 'eviction', verb: 'create', namespace: 'prod', why: 'no evictions' },
  { group: 'apps', resource: 'deployments', verb: 'create', namespace: 'prod', why: 'no creations' },
  { group: 'apps', resource: 'deployments', verb: 'delete', namespace: 'prod', why: 'no deletions' },
  { group: 'apps', resource: 'deployments', verb: 'update', namespace: 'prod', why: 'patches only' },
  { group: 'apps', resource: 'replicasets', verb: 'patch', namespace: 'prod', why: 'undo patches the Deployment' },
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'update',
    namespace: 'kube-system',
    why: "controller leaders' Leases",
  },
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'delete',
    namespace: 'coxswain',
    why: 'release is an update',
  },
  {
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'list',
    namespace: 'coxswain',
    why: 'it reads its own Lease by name',
  },
  {
    resource: 'serviceaccounts',
    subresource: 'token',
    verb: 'create',
    namespace: 'coxswain',
    why: 'no tokens for anyone',
  },
  { resource: 'users', verb: 'impersonate', why: 'only with deploy/overlays/impersonation, and only named users' },
  { resource: 'groups', verb: 'impersonate', why: 'system:masters must stay out of reach' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'escalate', why: 'no privilege escalation' },
  {
    group: 'rbac.authorization.k8s.io',
    resource: 'clusterrolebindings',
    verb: 'create',
    why: 'no privilege escalation',
  },
];

async function botMay(access: Access): Promise<boolean> {
  const authz = admin.makeApiClient(k8s.AuthorizationV1Api);
  const review = await authz.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: bot,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:coxswain', 'system:authenticated'],
        resourceAttributes: {
          group: access.group ?? '',
          resource: access.resource,
          verb: access.verb,
          namespace: access.namespace === GRANTED ? granted.name : (access.namespace ?? ''),
          ...(access.subresource ? { subresource: access.subresource } : {}),
          ...(access.resource === 'groups'
            ? { name: 'system:masters' }
            : access.resource === 'users'
              ? { name: 'system:admin' }
              : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

const describeAccess = (a: Access): string =>
  `${a.verb} ${a.group ? `${a.group}/` : ''}${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.namespace === undefined ? '' : ` in ${a.namespace === GRANTED ? 'a namespace with its write grant' : a.namespace || 'every namespace'}`}`;

describe("the bot's ServiceAccount (deploy/base/rbac.yaml, as the test cluster applies it)", () => {
  it('is the identity of the bot kubeconfig the integration tests run as', async () => {
    const botConfig = loadKubeConfig((await testCluster()).botKubeconfig);
    const review = await botConfig
      .makeApiClient(k8s.AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    expect(review.status?.userInfo?.username).toBe(bot);
  });

  it.each(needed.map((a) => [describeAccess(a), a] as const))('may %s', async (_what, access) => {
    expect(await botMay(access)).toBe(true);
  });

  it.each(refused.map((a) => [describeAccess(a), a] as const))('may not %s', async (_what, access) => {
    expect(await botMay(access)).toBe(false);
  });

  it('is granted nothing beyond those calls', async () => {
    const docs = parseAllDocuments(await readFile(join(repoRoot, 'deploy', 'base', 'rbac.yaml'), 'utf8')).map(
      (d) => d.toJS() as k8s.V1ClusterRole,
    );
    const granted = docs
      .filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')
      .flatMap((role) =>
        (role.rules ?? []).flatMap((rule) =>
          (rule.apiGroups ?? []).flatMap((g) =>
            (rule.resources ?? []).flatMap((r) => (rule.verbs ?? []).map((v) => `${v} ${g ? `${g}/` : ''}${r}`)),
          ),
        ),
      );
    const key = (a: Access): string =>
      `${a.verb} ${a.group ? `${a.group}/` : ''}${a.resource}${a.subresource ? `/${a.subresource}` : ''}`;
    const allowed = new Set(needed.map(key));
    expect(granted.filter((g) => !allowed.has(g))).toEqual([]);
    expect([...new Set(needed.map(key))].filter((n) => !granted.includes(n))).toEqual([]);
  });
});
