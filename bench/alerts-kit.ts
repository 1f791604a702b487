// What bench/alerts.ts needs beyond bench-kit: the bot's roles in child
// processes (bench/role-process.ts) with their RSS read from /proc, a private
// test cluster, many healthy bare pods, and a pod watch of the benchmark's own
// that notes when each pod's failing status reached it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { fetch } from 'undici';
import { bulkNodeName, bulkTaint, ensureBulkNode } from '../test/support/cluster/bootstrap.ts';
import { readClusterState, startCluster, stopCluster, type ClusterState } from '../test/support/cluster/cluster.ts';
import { grantBotWrites } from '../test/support/kube-objects.ts';
import type { SlackEmulator } from '../test/support/slack-emulator/index.ts';
import type { RoleProcessOptions } from './role-process.ts';
import { benchRedisUrl, deleteBotKeys, shippedEnv, sleep } from './bench-kit.ts';

/** The kwok node of the test cluster (test/support/cluster/bootstrap.ts). */
export const kwokNode = bulkNodeName;

/** One JSON line of a role process (see role-process.ts). */
export interface RoleEvent {
  readonly event: string;
  /** Date.now() in the child when it wrote the line. */
  readonly t: number;
  readonly [key: string]: unknown;
}

/** A role of the bot running in a child process. */
export interface RoleChild {
  readonly pid: number;
  /** Date.now() just before the process was spawned. */
  readonly spawnedAt: number;
  readonly events: RoleEvent[];
  /** Resolves with the first event (past or future) that matches; rejects after timeoutMs or if the child exits. */
  waitFor(predicate: (e: RoleEvent) => boolean, timeoutMs: number): Promise<RoleEvent>;
  /** SIGUSR2: the child's process.memoryUsage() (MiB). */
  memory(): Promise<RoleEvent>;
  /** SIGTERM, then the child's last report (CPU, its own max RSS). */
  stop(): Promise<RoleEvent | undefined>;
}

/**
 * The sources compiled as the image ships them (Dockerfile: tsc, no type stripping at run time), under .tmp/;
 * returns the compiled role-process.js.
 */
export function compileForBench(): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = join(root, '.tmp', 'bench-build');
  execFileSync(
    join(root, 'node_modules', '.bin', 'tsc'),
    ['-p', join(root, 'tsconfig.json'), '--noEmit', 'false', '--outDir', out, '--rootDir', root],
    { stdio: 'inherit' },
  );
  return join(out, 'bench', 'role-process.js');
}

/** Starts `role-process.ts` (or `script`, its compiled form) for one role; resolves when its roles run. */
export async function spawnRole(
  options: RoleProcessOptions,
  execArgv: readonly string[] = [],
  script = fileURLToPath(new URL('role-process.ts', import.meta.url)),
): Promise<RoleChild> {
  const spawnedAt = Date.now();
  const child: ChildProcess = spawn(process.execPath, [...execArgv, script, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: shippedEnv(),
  });
  const events: RoleEvent[] = [];
  const listeners = new Set<(e: RoleEvent | undefined) => void>();
  let exited = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: RoleEvent;
    try {
      e = JSON.parse(line) as RoleEvent;
    } catch {
      e = { event: 'text', t: Date.now(), line };
    }
    events.push(e);
    for (const l of [...listeners]) l(e);
  });
  child.once('exit', () => {
    exited = true;
    for (const l of [...listeners]) l(undefined);
  });
  const waitFor = (predicate: (e: RoleEvent) => boolean, timeoutMs: number): Promise<RoleEvent> => {
    const found = events.find(predicate);
    if (found) return Promise.resolve(found);
    if (exited) return Promise.reject(new Error(`${options.role} process has exited`));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${options.role} process: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: RoleEvent | undefined): void => {
        if (e === undefined) {
          done();
          reject(new Error(`${options.role} process exited`));
          return;
        }
        if (predicate(e)) {
          done();
          resolve(e);
        }
      };
      listeners.add(listener);
    });
  };
  await waitFor((e) => e.event === 'started', 60_000);
  return {
    pid: child.pid ?? 0,
    spawnedAt,
    events,
    waitFor,
    memory: async () => {
      const since = events.length;
      child.kill('SIGUSR2');
      return waitFor((e) => e.event === 'memory' && events.indexOf(e) >= since, 10_000);
    },
    stop: async () => {
      if (exited) return events.find((e) => e.event === 'stopped');
      const stopped = waitFor((e) => e.event === 'stopped', 20_000).catch(() => undefined);
      child.kill('SIGTERM');
      const report = await stopped;
      if (!exited)
        await new Promise((resolve) => {
          child.once('exit', resolve);
          setTimeout(resolve, 5_000).unref();
        });
      return report;
    },
  };
}

/** The options of a role process for this emulator, Redis, cluster and policy. */
export function roleOptions(
  role: RoleProcessOptions['role'],
  emu: SlackEmulator,
  cluster: ClusterState,
  more: { cluster: string; policyFile: string; quiet?: string[] },
): RoleProcessOptions {
  return {
    role,
    botToken: emu.botToken,
    signingSecret: emu.signingSecret,
    apiUrl: emu.apiUrl,
    redisUrl: benchRedisUrl,
    kubeconfig: cluster.botKubeconfig,
    cluster: more.cluster,
    policyFile: more.policyFile,
    ...(more.quiet ? { quiet: more.quiet } : {}),
  };
}

/** A process's resident set (VmRSS) and its peak so far (VmHWM), in MiB, from /proc; undefined once it is gone. */
export function procRss(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'mu').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** RSS samples of a process every `everyMs`, with their time (Date.now()). */
export interface RssSampler {
  readonly samples: { readonly t: number; readonly rss: number }[];
  /** The kernel's peak RSS of the process (VmHWM) at the last sample. */
  hwm(): number;
  stop(): void;
}

/** Samples a process's RSS from /proc (from outside, so a busy event loop in it does not skip samples). */
export function sampleRss(pid: number, everyMs: number): RssSampler {
  const samples: { t: number; rss: number }[] = [];
  let hwm = 0;
  const take = (): void => {
    const r = procRss(pid);
    if (!r) return;
    samples.push({ t: Date.now(), rss: r.rss });
    hwm = Math.max(hwm, r.hwm);
  };
  take();
  const timer = setInterval(take, everyMs);
  return { samples, hwm: () => hwm, stop: () => clearInterval(timer) };
}

/** A test cluster of the benchmark's own, so 10,000 pods never load the shared one. */
export interface BenchCluster {
  readonly state: ClusterState;
  readonly admin: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  /** Stops and deletes it, unless it was kept or is not ours. */
  close(): Promise<void>;
}

/** Starts a private cluster (or reuses the one in `dir`); `keep` leaves it running at close(). */
export async function benchCluster(options: { dir?: string; keep: boolean }): Promise<BenchCluster> {
  const reused = options.dir === undefined ? undefined : await readClusterState(options.dir);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'coxswain-alerts-bench-cluster-')));
  const t0 = performance.now();
  const state = reused ?? (await startCluster({ dir, log: () => undefined }));
  console.log(
    reused
      ? `reusing the cluster in ${dir}`
      : `private cluster started in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`,
  );
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(state.adminKubeconfig);
  await ensureBulkNode(admin);
  const keep = options.keep || reused !== undefined;
  return {
    state,
    admin,
    core: admin.makeApiClient(k8s.CoreV1Api),
    apps: admin.makeApiClient(k8s.AppsV1Api),
    close: async () => {
      if (keep) {
        console.log(
          `cluster kept: reuse with --cluster-dir ${dir}; stop and purge it with: COXSWAIN_CLUSTER_DIR=${dir} npm run cluster -- down --purge`,
        );
        return;
      }
      await stopCluster(dir, { purge: true });
      console.log(`private cluster stopped and purged (${dir})`);
    },
  };
}

/** Writes the bench policy (everyone may do everything; alert routes by namespace prefix) and returns its path. */
export async function writeBenchPolicy(
  dir: string,
  routes: readonly { prefix: string; channel: string }[],
): Promise<string> {
  const file = join(dir, `alerts-bench-policy-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    file,
    [
      'roles:',
      '  everything: [{ verbs: ["*"] }]',
      'bindings:',
      '  - { role: everything, users: ["*"] }',
      'alerts:',
      '  routes:',
      ...routes.map((r) => `    - { namespaces: ["${r.prefix}*"], channel: ${r.channel} }`),
      // One episode per run: no recovery (and its posts) while a run measures.
      '  cooldown: 10m',
      '  recoverAfter: 1h',
      '  unschedulableAfter: 1m',
      '',
    ].join('\n'),
  );
  return file;
}

/** Pods in the whole cluster. */
export async function countPods(core: k8s.CoreV1Api, fieldSelector?: string): Promise<number> {
  const list = await core.listPodForAllNamespaces({ limit: 1, ...(fieldSelector ? { fieldSelector } : {}) });
  return list.items.length + (list.metadata?._continue ? (list.metadata.remainingItemCount ?? 0) : 0);
}

/**
 * A bare pod bound to the bulk kwok node (no scheduler, no controller: creating thousands stays quick; the node's
 * taint keeps them off the nodes the benchmark's Deployments are scheduled to).
 */
export function barePod(name: string, image: string, annotations: Record<string, string> = {}): k8s.V1Pod {
  const app = name.replace(/-\d+$/u, '');
  return {
    metadata: { name, labels: { app, tier: 'bench' }, annotations },
    spec: {
      nodeName: kwokNode,
      tolerations: [{ key: bulkTaint.key, operator: 'Exists', effect: bulkTaint.effect }],
      containers: [
        {
          name: 'app',
          image,
          ports: [{ containerPort: 8080, name: 'http' }],
          env: [
            { name: 'MODE', value: 'bench' },
            { name: 'LOG_LEVEL', value: 'info' },
          ],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
        },
      ],
    },
  };
}

/** Runs `work` over `items` with at most `concurrency` at once. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

const isConflict = (error: unknown): boolean => (error as { code?: number } | null)?.code === 409;

/**
 * Creates a namespace (existing is fine) and waits (≤ 30 s) for its default ServiceAccount, which pods need. With
 * `admin`, also grants the bot its write rights there, as `coxswain rbac` would: without them every changing command
 * ends refused by Kubernetes.
 */
export async function ensureNamespace(core: k8s.CoreV1Api, name: string, admin?: k8s.KubeConfig): Promise<void> {
  await core
    .createNamespace({ body: { metadata: { name, labels: { 'coxswain.test/owner': 'bench-alerts' } } } })
    .catch((error: unknown) => {
      if (!isConflict(error)) throw error;
    });
  if (admin) await grantBotWrites(admin, name);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(
        () => true,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
}

/**
 * Makes sure `total` healthy bare pods exist, 1000 per namespace `abench-fill-<i>`,
 * and waits until every pod of the cluster is Running. Returns the seconds it took.
 */
export async function ensureHealthyPods(core: k8s.CoreV1Api, total: number): Promise<number> {
  const t0 = performance.now();
  const perNamespace = 1000;
  let created = 0;
  for (let i = 0; i * perNamespace < total; i++) {
    const namespace = `abench-fill-${i}`;
    const want = Math.min(perNamespace, total - i * perNamespace);
    await ensureNamespace(core, namespace);
    const page = await core.listNamespacedPod({ namespace, limit: 1 });
    if (page.items.length + (page.metadata?.remainingItemCount ?? 0) >= want) continue;
    const names = Array.from({ length: want }, (_, j) => `fill-${j}`);
    await inParallel(names, 32, async (name) => {
      await core.createNamespacedPod({ namespace, body: barePod(name, 'ghcr.io/acme/fill:1.0') }).then(
        () => {
          created++;
        },
        (error: unknown) => {
          if (!isConflict(error)) throw error;
        },
      );
    });
  }
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline && (await countPods(core, 'status.phase!=Running')) > 0) await sleep(1000);
  const seconds = (performance.now() - t0) / 1000;
  if (created > 0)
    console.log(
      `created ${created} healthy pods in ${seconds.toFixed(1)} s; ${await countPods(core)} pods in the cluster, all Running`,
    );
  return seconds;
}

/** The mean JSON size of a pod as the watcher lists it (one page of 500 from all namespaces). */
export async function meanPodBytes(admin: k8s.KubeConfig): Promise<number> {
  const server = admin.getCurrentCluster()?.server;
  if (!server) return 0;
  const context = new k8s.RequestContext(`${server}/api/v1/pods?limit=500`, k8s.HttpMethod.GET);
  await admin.applySecurityAuthentication(context);
  const dispatcher = context.getDispatcher();
  const response = await fetch(`${server}/api/v1/pods?limit=500`, {
    headers: { ...context.getHeaders(), accept: 'application/json' },
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await response.text();
  const n = (JSON.parse(text) as { items?: unknown[] }).items?.length ?? 0;
  return n === 0 ? 0 : Math.round(text.length / n);
}

/** Deletes a namespace's Deployments and ReplicaSets (orphaning) and its pods at once (grace 0), then the namespace. */
export async function deleteNamespaceNow(c: BenchCluster, namespace: string): Promise<void> {
  const quiet = (): undefined => undefined;
  await c.apps.deleteCollectionNamespacedDeployment({ namespace, propagationPolicy: 'Orphan' }).catch(quiet);
  await c.apps.deleteCollectionNamespacedReplicaSet({ namespace, propagationPolicy: 'Orphan' }).catch(quiet);
  await c.core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 }).catch(quiet);
  await c.core.deleteNamespace({ name: namespace }).catch(quiet);
}

/** A container status that waits in CrashLoopBackOff. */
interface PodJson {
  readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
  readonly status?: {
    readonly containerStatuses?: readonly { readonly state?: { readonly waiting?: { readonly reason?: string } } }[];
  };
}

/** The benchmark's own watch of one namespace: when (performance.now()) each pod was first seen crash-looping. */
export interface CrashWatch {
  /** Pod name → when its CrashLoopBackOff status reached this process. */
  readonly firstCrash: Map<string, number>;
  /** Resolves when `pod` has been seen crash-looping (at once if it was), with the time. */
  crashOf(pod: string, timeoutMs: number): Promise<number>;
  stop(): void;
}

/** Watches `namespace`'s pods from now on (restarting the watch if it ends), noting first CrashLoopBackOffs. */
export async function watchCrashes(admin: k8s.KubeConfig, namespace: string): Promise<CrashWatch> {
  const firstCrash = new Map<string, number>();
  const waiters = new Map<string, (t: number) => void>();
  const watch = new k8s.Watch(admin);
  let stopped = false;
  let current: AbortController | undefined;
  let resourceVersion = (await admin.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, limit: 1 })).metadata
    ?.resourceVersion;
  const onEvent = (type: string, pod: PodJson & { metadata?: { resourceVersion?: string } }): void => {
    const t = performance.now();
    if (pod.metadata?.resourceVersion) resourceVersion = pod.metadata.resourceVersion;
    const name = pod.metadata?.name;
    if (type !== 'MODIFIED' && type !== 'ADDED') return;
    if (!name || firstCrash.has(name)) return;
    if (!(pod.status?.containerStatuses ?? []).some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff')) return;
    firstCrash.set(name, t);
    waiters.get(name)?.(t);
    waiters.delete(name);
  };
  const start = async (): Promise<void> => {
    if (stopped) return;
    current = await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      onEvent,
      () => {
        if (!stopped) setTimeout(() => void start(), 100);
      },
    );
  };
  await start();
  return {
    firstCrash,
    crashOf: (pod, timeoutMs) => {
      const seen = firstCrash.get(pod);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(pod);
          reject(new Error(`pod ${pod}: not seen in CrashLoopBackOff within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(pod, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    stop: () => {
      stopped = true;
      current?.abort();
    },
  };
}

/** Forgets a bot the benchmark ran as cluster `name`: its watcher Lease, and its Redis keys (the alert queue's too). */
export async function forgetBot(c: BenchCluster, name: string): Promise<void> {
  await c.admin
    .makeApiClient(k8s.CoordinationV1Api)
    .deleteNamespacedLease({ name: `coxswain-watcher-${name}`, namespace: 'coxswain' })
    .catch(() => undefined);
  // The alert queue's keys are `coxswain:<cluster>.alerts:…`, outside `coxswain:<cluster>:*`.
  await deleteBotKeys(benchRedisUrl, name);
  await deleteBotKeys(benchRedisUrl, `${name}.alerts`);
}
