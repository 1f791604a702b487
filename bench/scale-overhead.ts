// Benchmark: what the pipeline adds to a `scale` beyond Kubernetes itself.
// Gateway + worker run in this process (startTestBot, role all) against the
// Slack emulator, Redis and the test cluster. Each run sends `/k8s scale web N`
// (alternating 3 and 2 replicas of a Deployment in a fresh namespace) and waits
// for the thread root's final ✅ edit, which comes after the result reply.
// Every KubeApi call the worker makes (findAutoscaler, scale, followRollout…)
// is timed through the wrapKube injection point; overhead = total − kube.
// Usage: npm run bench:scale [-- --runs 30]
import type { KubeApi } from '../src/kube/kube-api.ts';
import { startTestBot } from '../test/support/bot.ts';
import { SlackEmulator, type RecordedCall, type SlackDriver } from '../test/support/slack-emulator/index.ts';
import {
  benchDeployment,
  createBenchNamespace,
  describeLatencies,
  describeMachine,
  numericOptions,
  quantile,
  runningCluster,
  sleep,
} from './bench-kit.ts';

/** Time spent in KubeApi calls, by method, since the last reset. */
class KubeClock {
  readonly byMethod = new Map<string, number>();
  total = 0;
  reset(): void {
    this.byMethod.clear();
    this.total = 0;
  }
  add(method: string, ms: number): void {
    this.total += ms;
    this.byMethod.set(method, (this.byMethod.get(method) ?? 0) + ms);
  }
}

/** A KubeApi that times every call into `clock` (the jobs run one at a time, so sums do not overlap). */
function timedKube(api: KubeApi, clock: KubeClock): KubeApi {
  const timed =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await fn(...args);
      } finally {
        clock.add(name, performance.now() - t0);
      }
    };
  return {
    readDeployment: timed('readDeployment', (ref) => api.readDeployment(ref)),
    setImage: timed('setImage', (ref, o) => api.setImage(ref, o)),
    scale: timed('scale', (ref, n, o) => api.scale(ref, n, o)),
    findAutoscaler: timed('findAutoscaler', (ref) => api.findAutoscaler(ref)),
    restart: timed('restart', (ref, o) => api.restart(ref, o)),
    undo: timed('undo', (ref, o) => api.undo(ref, o)),
    history: timed('history', (ref) => api.history(ref)),
    followRollout: timed('followRollout', (ref, o) => api.followRollout(ref, o)),
    listDeployments: timed('listDeployments', (ns, sel) => api.listDeployments(ns, sel)),
    listPods: timed('listPods', (ns, sel) => api.listPods(ns, sel)),
    readLogs: timed('readLogs', (ns, pod, o) => api.readLogs(ns, pod, o)),
    podEvents: timed('podEvents', (ns, pod, n) => api.podEvents(ns, pod, n)),
  };
}

/** One scale, end to end. */
interface Run {
  readonly total: number;
  readonly kube: number;
  readonly ack: number;
  /** Gateway received → root posted (includes the claim in Redis). */
  readonly root: number;
  /** Root posted → first edit by the worker (BullMQ pickup, lock, 'running'). */
  readonly pickup: number;
  readonly byMethod: Readonly<Record<string, number>>;
  readonly ok: boolean;
}

const users = ['U0ALICE', 'U0BOB', 'U0CAROL'] as const;
const text = (c: RecordedCall): string => (typeof c.params['text'] === 'string' ? c.params['text'] : '');

interface ScaleContext {
  readonly emu: SlackEmulator;
  readonly slack: SlackDriver;
  readonly clock: KubeClock;
  readonly ns: string;
  /** When each user last sent each text: the gateway refuses a repeat within 5 s. */
  readonly lastSent: Map<string, number>;
}

/** Waits (outside the measured time) until this user may send this text again. */
async function avoidRepeat(ctx: ScaleContext, key: string): Promise<void> {
  const wait = (ctx.lastSent.get(key) ?? 0) + 5_200 - Date.now();
  if (wait > 0) await sleep(wait);
  ctx.lastSent.set(key, Date.now());
}

async function scaleOnce(ctx: ScaleContext, i: number): Promise<Run> {
  const replicas = i % 2 === 0 ? 3 : 2;
  const user = users[i % users.length] ?? 'U0ALICE';
  await avoidRepeat(ctx, `${user} ${replicas}`);
  const since = ctx.emu.calls.length;
  ctx.clock.reset();
  const t0 = Date.now();
  const answer = await ctx.slack.slashCommand('/k8s', `scale web ${replicas} -n ${ctx.ns}`, { user, channel: 'C0OPS' });
  if (answer.status !== 200 || answer.ack !== undefined)
    throw new Error(`scale ${i} was not queued: ${answer.status} ${answer.ack?.text ?? ''}`);
  const root = await ctx.emu.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.params['thread_ts'] === undefined &&
      text(c).includes(`scale web to ${replicas} in ${ctx.ns}`),
    { since, timeoutMs: 10_000 },
  );
  const ts = String(root.result['ts']);
  const first = await ctx.emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts, {
    since,
    timeoutMs: 30_000,
  });
  const final = await ctx.emu.waitFor(
    (c) => c.method === 'chat.update' && c.params['ts'] === ts && /[✅❌]/u.test(text(c)),
    { since, timeoutMs: 60_000 },
  );
  const total = final.time - t0;
  return {
    total,
    kube: ctx.clock.total,
    ack: answer.ms,
    root: root.time - t0,
    pickup: first.time - root.time,
    byMethod: Object.fromEntries(ctx.clock.byMethod),
    ok: text(final).startsWith('✅'),
  };
}

function report(runs: readonly Run[]): void {
  const col = (f: (r: Run) => number): number[] => runs.map(f);
  const overhead = col((r) => r.total - r.kube);
  console.log(`  total (gateway received → final root edit): ${describeLatencies(col((r) => r.total))}`);
  console.log(`  kube (sum of KubeApi calls):                ${describeLatencies(col((r) => r.kube))}`);
  console.log(`  overhead = total − kube:                    ${describeLatencies(overhead)}`);
  console.log(
    `    of which ack ${quantile(
      col((r) => r.ack),
      0.5,
    )} ms, received → root posted ${quantile(
      col((r) => r.root),
      0.5,
    )} ms, root → worker's first edit ${quantile(
      col((r) => r.pickup),
      0.5,
    )} ms (medians)`,
  );
  for (const m of ['findAutoscaler', 'scale', 'followRollout']) {
    console.log(
      `    kube ${m}: p50 ${quantile(
        col((r) => r.byMethod[m] ?? 0),
        0.5,
      ).toFixed(1)} ms`,
    );
  }
  console.log(
    `  ✅ ${runs.filter((r) => r.ok).length}/${runs.length}; target overhead p50 ≤ 50 ms: ${quantile(overhead, 0.5) <= 50 ? 'met' : 'MISSED'}`,
  );
}

const options = numericOptions({ runs: 30 });
const machine = describeMachine();
const cluster = await runningCluster();
const ns = await createBenchNamespace(cluster, 'bench-scale');
// Root post and result land within a second of each other; Slack allows such bursts.
const emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
const clock = new KubeClock();
const bot = await startTestBot({ emu, cluster, wrapKube: (api) => timedKube(api, clock) });
try {
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: benchDeployment('web', { replicas: 2 }) });
  const slack = emu.driver(bot.eventsUrl);
  const ctx: ScaleContext = { emu, slack, clock, ns: ns.name, lastSent: new Map() };
  // Warm-up: the first job loads code paths and opens connections.
  await scaleOnce(ctx, 1);
  const runs: Run[] = [];
  const deadline = Date.now() + 10 * 60_000;
  for (let i = 0; i < options.runs && Date.now() < deadline; i++) {
    runs.push(await scaleOnce(ctx, i));
    await sleep(100);
  }
  console.log(
    `scale overhead: gateway + worker in one process, ${runs.length} sequential scales 2↔3 in ${ns.name} — ${machine}`,
  );
  report(runs);
} finally {
  await bot.stop();
  await emu.stop();
  await ns.delete();
}
