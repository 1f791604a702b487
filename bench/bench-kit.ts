// What the pipeline benchmarks share: CLI options, percentiles, the running
// test cluster, a fresh namespace, and cleaning one bot's Redis keys.
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { readClusterState, type ClusterState } from '../test/support/cluster/cluster.ts';
import { imageEnv } from '../test/support/image-env.ts';
import { grantBotWrites } from '../test/support/kube-objects.ts';
import type { ClientOptions, ClientReport } from './ack-client.ts';

/**
 * Numeric `--name value` options with their defaults, e.g.
 * `npm run bench:ack -- --rate 100 --seconds 10`.
 */
export function numericOptions<K extends string>(defaults: Readonly<Record<K, number>>): Record<K, number> {
  const options = Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: process.argv.slice(2), options, strict: true });
  const out: Record<K, number> = { ...defaults };
  for (const key of Object.keys(defaults) as K[]) {
    const raw = (values as Record<string, string | undefined>)[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a number ≥ 0, not ${raw}`);
    out[key] = n;
  }
  return out;
}

/**
 * The environment of a role process the benchmark starts: this process's, with what the image sets (the
 * Dockerfile's ENV, e.g. NODE_ENV) for every variable not set here, so a benchmark runs what ships unless told
 * otherwise (`NODE_ENV=development npm run bench:soak`). Prints those variables once, as used.
 */
export function shippedEnv(): NodeJS.ProcessEnv {
  const shipped = imageEnv();
  const env = { ...shipped, ...process.env };
  if (!shippedEnvShown) {
    shippedEnvShown = true;
    console.log(
      `  role processes' env from the image: ${
        Object.keys(shipped)
          .map((k) => `${k}=${env[k] ?? ''}${env[k] === shipped[k] ? '' : ` (image: ${shipped[k]})`}`)
          .join(' ') || 'none'
      }`,
    );
  }
  return env;
}
let shippedEnvShown = false;

/** The q-quantile (0..1) of xs by nearest rank; 0 for no samples. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/** "p50 3.1 · p90 4.0 · p99 9.2 · max 12.0 ms" */
export function describeLatencies(xs: readonly number[]): string {
  const f = (v: number): string => v.toFixed(1);
  return `p50 ${f(quantile(xs, 0.5))} · p90 ${f(quantile(xs, 0.9))} · p99 ${f(quantile(xs, 0.99))} · max ${f(quantile(xs, 1))} ms (n=${xs.length})`;
}

/** "2 cores, node v24…, load 1.2 0.8 0.9" — printed with every result. */
export function describeMachine(): string {
  const load = execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ');
  return `${execFileSync('nproc').toString().trim()} cores, node ${process.version}, load before ${load}`;
}

/** The running test cluster, or a clear message on how to start it. */
export async function runningCluster(): Promise<ClusterState> {
  const state = await readClusterState();
  if (!state) throw new Error('no test cluster is running: start it with `npm run cluster -- up`');
  return state;
}

/** A namespace made for one benchmark run, with admin clients; delete() removes it. */
export interface BenchNamespace {
  readonly name: string;
  readonly admin: k8s.KubeConfig;
  readonly apps: k8s.AppsV1Api;
  delete(): Promise<void>;
}

/** Creates `<prefix>-<random>` as admin and waits (≤ 30 s) for its default ServiceAccount. */
export async function createBenchNamespace(cluster: ClusterState, prefix: string): Promise<BenchNamespace> {
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(cluster.adminKubeconfig);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'coxswain.test/owner': `bench-${prefix}` } } } });
  await grantBotWrites(admin, name);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const found = await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(
      () => true,
      () => false,
    );
    if (found) break;
    await sleep(100);
  }
  return {
    name,
    admin,
    apps: admin.makeApiClient(k8s.AppsV1Api),
    delete: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/**
 * Deletes every key of one bot's cluster (BullMQ queue, claims, locks): `coxswain:<cluster>:*`. Bounded to 1000 SCAN
 * rounds.
 */
export async function deleteBotKeys(redisUrl: string, cluster: string): Promise<number> {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  let deleted = 0;
  try {
    for (let round = 0; round < 1000; round++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `coxswain:${cluster}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** The Redis the bots use (REDIS_URL or the local one). */
export const benchRedisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A minimal Deployment the kwok node runs (as test/support/kube.ts makes, which
 * imports jest and cannot be loaded here). `podAnnotations` e.g. the kwok ready delay.
 */
export function benchDeployment(
  name: string,
  options: { replicas: number; podAnnotations?: Record<string, string>; crashLoop?: boolean },
): k8s.V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: options.podAnnotations ?? {} },
        // kwok's stages read the tag: `-crashloop` pods crash and restart (every 1.5 s unless annotated otherwise).
        spec: { containers: [{ name, image: `ghcr.io/acme/${name}:1.0${options.crashLoop ? '-crashloop' : ''}` }] },
      },
    },
  };
}

/** A command line for a Node script, on the given CPUs (`taskset -c`) when `cpus` is set. */
export function pinned(cpus: string | undefined, args: readonly string[]): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, [...args]];
}

/**
 * Sends slash commands open-loop from a process of its own (bench/ack-client.ts), so the latencies are not the
 * emulator's or the benchmark's event loop: only the gateway shares nothing with the client.
 */
export async function runAckClient(options: ClientOptions, cpus?: string): Promise<ClientReport> {
  const [command, argv] = pinned(cpus, [
    fileURLToPath(new URL('ack-client.ts', import.meta.url)),
    JSON.stringify(options),
  ]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: shippedEnv() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the ack client exited with ${code}`);
  return JSON.parse(out) as ClientReport;
}

let clockTicks: number | undefined;

/** A process's or thread's CPU-seconds so far, from its /proc stat file: user and system apart. */
export function cpuOf(statFile: string): { user: number; system: number } {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = readFileSync(statFile, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { user: Number(fields[11]) / clockTicks, system: Number(fields[12]) / clockTicks }; // fields 14, 15
}

/** CPU-seconds a process has used so far (user + system), from /proc; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const { user, system } = cpuOf(`/proc/${pid}/stat`);
    return user + system;
  } catch {
    return Number.NaN;
  }
}
