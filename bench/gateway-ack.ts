// Benchmark: how fast the gateway acks /k8s under a steady open-loop load.
// Each request is a valid, queued command (`get pods -n … -l seq=<i>`, unique so
// the repeat guard never short-cuts it): the gateway verifies the signature,
// parses, claims it in Redis, posts the thread root to the Slack emulator and
// enqueues the job before it acks. The gateway role runs alone (no worker), so
// the figures are the ack path only; the queue's keys are deleted afterwards.
// By default the gateway runs in a child process (Slack is not in the bot's
// event loop); --inprocess 1 runs it in this process via startTestBot.
// Usage: npm run bench:ack [-- --rate 200 --seconds 60 --inprocess 0]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startTestBot } from '../test/support/bot.ts';
import type { ClusterState } from '../test/support/cluster/cluster.ts';
import { SlackEmulator, type SlackDriver } from '../test/support/slack-emulator/index.ts';
import type { GatewayProcessOptions } from './gateway-process.ts';
import {
  benchRedisUrl,
  deleteBotKeys,
  describeLatencies,
  describeMachine,
  numericOptions,
  pinned,
  quantile,
  runAckClient,
  runningCluster,
  shippedEnv,
  sleep,
} from './bench-kit.ts';
import { shippedNodeFlags } from './bench-run.ts';

/** One answered request. */
interface Sample {
  /** What the driver measured: send to end of answer. */
  readonly ms: number;
  /** From the scheduled send time to the end of the answer (no coordinated omission). */
  readonly fromSchedule: number;
  readonly ok: boolean;
  readonly queued: boolean;
}

/** Slack's limit; an answer slower than this is an error even if it is a 200. */
const slackLimitMs = 3000;

async function sendOne(slack: SlackDriver, seq: number, scheduledAt: number): Promise<Sample> {
  const answer = await slack.slashCommand('/k8s', `get pods -n ack-bench -l seq=${seq}`, {
    user: 'U0ALICE',
    channel: 'C0OPS',
  });
  const fromSchedule = performance.now() - scheduledAt;
  return {
    ms: answer.ms,
    fromSchedule,
    ok: answer.status === 200 && fromSchedule <= slackLimitMs,
    queued: answer.ack === undefined,
  };
}

/**
 * Sends `rate` requests per second for `seconds`, each at its scheduled time
 * whether or not earlier ones were answered; returns when all are answered
 * (each is bounded by the driver's 3 s timeout).
 */
async function openLoop(
  slack: SlackDriver,
  rate: number,
  seconds: number,
): Promise<{ samples: Sample[]; sendSeconds: number; maxLagMs: number }> {
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const inFlight: Promise<Sample>[] = [];
  const t0 = performance.now() + 50;
  const hardStop = t0 + seconds * 1000 + 10_000;
  let maxLagMs = 0;
  while (inFlight.length < total && performance.now() < hardStop) {
    const scheduledAt = t0 + inFlight.length * intervalMs;
    const wait = scheduledAt - performance.now();
    if (wait > 1) await sleep(Math.floor(wait));
    // Catch up on every send that is due, so a late timer does not lower the rate.
    while (inFlight.length < total && t0 + inFlight.length * intervalMs <= performance.now()) {
      const due = t0 + inFlight.length * intervalMs;
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      inFlight.push(sendOne(slack, inFlight.length, due));
    }
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  return { samples: await Promise.all(inFlight), sendSeconds, maxLagMs };
}

/** The gateway's own time per request (connection accepted → answer written), quantiles in ms. */
interface OwnTimes {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** A gateway to send to: in this process (startTestBot) or in a child process of its own. */
interface GatewayUnderTest {
  readonly eventsUrl: string;
  readonly cluster: string;
  /** Marks the start of the measured load (the child resets its CPU counter). */
  startMeasuring(): void;
  /** Stops it; for a child, its CPU ms since startMeasuring, its RSS and its event-loop delay (ms). */
  stop(): Promise<{
    cpuMs?: number;
    rssMiB?: number;
    loop?: { p50: number; p99: number; max: number };
    own?: OwnTimes;
  }>;
}

async function inProcessGateway(emu: SlackEmulator, cluster: ClusterState): Promise<GatewayUnderTest> {
  const bot = await startTestBot({ emu, cluster, role: 'gateway' });
  return {
    eventsUrl: bot.eventsUrl,
    cluster: bot.cluster,
    startMeasuring: () => undefined,
    stop: async () => {
      await bot.stop();
      return {};
    },
  };
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`gateway process: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      // The protocol's lines are JSON objects; anything else is a Node flag's output (see BENCH_GATEWAY_NODE_ARGS).
      const line = buffered.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith('{"'));
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(line);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway process exited with ${code}`));
    });
  });
}

/** `taskset -c CPUS node …` when --pin is set, so the gateway and the client each keep a core of their own. */
async function childGateway(emu: SlackEmulator, cluster: ClusterState, cpus?: string): Promise<GatewayUnderTest> {
  const name = `bench-${randomBytes(4).toString('hex')}`;
  const args: GatewayProcessOptions = {
    signingSecret: emu.signingSecret,
    botToken: emu.botToken,
    apiUrl: emu.apiUrl,
    redisUrl: benchRedisUrl,
    kubeconfig: cluster.botKubeconfig,
    cluster: name,
  };
  // The gateway's Node flags: those its Deployment ships with (deploy/overlays/split/gateway.yaml), unless
  // BENCH_GATEWAY_NODE_ARGS gives others ("" for none), e.g. "--trace-gc --trace-gc-nvp" or "--heap-prof";
  // whatever such flags print to stdout is skipped by firstLine and copied to BENCH_GATEWAY_STDOUT (a file), if set.
  const given = process.env['BENCH_GATEWAY_NODE_ARGS'];
  const nodeArgs = given === undefined ? shippedNodeFlags('gateway') : given.split(' ').filter((a) => a !== '');
  console.log(
    `  gateway Node flags: ${nodeArgs.join(' ') || 'none'}${given === undefined ? ' (as shipped)' : ' (BENCH_GATEWAY_NODE_ARGS)'}`,
  );
  const [command, argv] = pinned(cpus, [
    ...nodeArgs,
    fileURLToPath(new URL('gateway-process.ts', import.meta.url)),
    JSON.stringify(args),
  ]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: shippedEnv() });
  const copy = process.env['BENCH_GATEWAY_STDOUT'];
  if (copy) child.stdout?.pipe(createWriteStream(copy));
  const { port } = JSON.parse(await firstLine(child, 20_000)) as { port: number };
  return {
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    cluster: name,
    startMeasuring: () => {
      child.kill('SIGUSR2');
    },
    stop: async () => {
      const report = firstLine(child, 10_000);
      const exited = new Promise((resolve) => {
        child.once('exit', resolve);
        setTimeout(resolve, 15_000).unref();
      });
      child.kill('SIGTERM');
      const parsed = JSON.parse(await report) as {
        cpuMs: number;
        rssMiB: number;
        loop: { p50: number; p99: number; max: number };
        own: OwnTimes;
      };
      // Wait for the child to exit, so what it writes on exit (e.g. a --cpu-prof profile) is complete.
      await exited;
      return parsed;
    },
  };
}

// --warmup S: with --client 1, S seconds at the full rate first, not counted (JIT, pools, heap sizing).
// --pin 1: with --client 1, the gateway on CPU 0 and the client on CPU 1 (taskset); the emulator and Redis float.
const options = numericOptions({ rate: 200, seconds: 60, inprocess: 0, client: 0, warmup: 0, pin: 0 });
const gatewayCpus = options.pin ? '0' : undefined;
const clientCpus = options.pin ? '1' : undefined;
const machine = describeMachine();
const cluster = await runningCluster();
// 200 root posts a second in one channel is far over Slack's 1/s guidance; this is a load test, not a usage pattern.
const emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
const gateway = options.inprocess
  ? await inProcessGateway(emu, cluster)
  : await childGateway(emu, cluster, gatewayCpus);
const slack = emu.driver(gateway.eventsUrl);
const where = options.inprocess ? "in the driver's process" : 'in a process of its own';
try {
  for (let i = 0; i < 20; i++) await sendOne(slack, -1 - i, performance.now());
  if (options.client && options.warmup > 0) {
    const w = await runAckClient(
      {
        url: gateway.eventsUrl,
        secret: emu.signingSecret,
        rate: options.rate,
        seconds: options.warmup,
        namespace: 'ack-warmup',
      },
      clientCpus,
    );
    console.log(
      `  warm-up ${options.warmup} s at ${options.rate}/s (not counted): ${describeLatencies(w.latencies)}; errors ${w.errors}`,
    );
  }
  gateway.startMeasuring();
  if (options.client) {
    const r = await runAckClient(
      {
        url: gateway.eventsUrl,
        secret: emu.signingSecret,
        rate: options.rate,
        seconds: options.seconds,
        namespace: 'ack-bench',
      },
      clientCpus,
    );
    const child = await gateway.stop();
    console.log(
      `gateway ack, client in a process of its own${options.pin ? ' (gateway pinned to CPU 0, client to CPU 1)' : ''}: ${options.rate}/s for ${options.seconds} s — ${machine}`,
    );
    console.log(
      `  ack from the scheduled time: ${describeLatencies(r.latencies)}; errors ${r.errors}; not queued ${r.notQueued}; gateway CPU ${(child.cpuMs === undefined ? 0 : child.cpuMs / r.sendSeconds / 10).toFixed(0)}%, RSS ${child.rssMiB ?? '?'} MiB`,
    );
    // The first seconds include the gateway's warm-up at this rate (JIT, connection pools): shown apart, not dropped.
    const warm = Math.round(options.rate * 5);
    if (r.latencies.length > warm * 2)
      console.log(
        `  without the first 5 s:       ${describeLatencies(r.latencies.slice(warm))}; first 5 s: ${describeLatencies(r.latencies.slice(0, warm))}`,
      );
    if (child.own)
      console.log(
        `  the gateway's own time (connection accepted → answer written, n ${child.own.n}): p50 ${child.own.p50} · p90 ${child.own.p90} · p99 ${child.own.p99} · max ${child.own.max} ms`,
      );
    if (child.loop)
      console.log(
        `  gateway event-loop delay: p50 ${child.loop.p50.toFixed(0)} · p99 ${child.loop.p99.toFixed(0)} · max ${child.loop.max.toFixed(0)} ms`,
      );
    console.log(
      `  target p99 ≤ 20 ms and 0 errors: ${quantile(r.latencies, 0.99) <= 20 && r.errors === 0 ? 'met' : 'MISSED'}`,
    );
  }
  if (!options.client) {
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const cpu0 = process.cpuUsage();
    const { samples, sendSeconds, maxLagMs } = await openLoop(slack, options.rate, options.seconds);
    const cpu = process.cpuUsage(cpu0);
    const child = await gateway.stop();
    const errors = samples.filter((s) => !s.ok).length;
    const notQueued = samples.filter((s) => s.ok && !s.queued).length;
    const roots = emu.callsTo('chat.postMessage').filter((c) => /seq=\d/u.test(JSON.stringify(c.params))).length;
    const loopMs = (h: { p50: number; p99: number; max: number }): string =>
      `p50 ${h.p50.toFixed(0)} · p99 ${h.p99.toFixed(0)} · max ${h.max.toFixed(0)} ms`;
    const pct = (ms: number): string => `${(ms / sendSeconds / 10).toFixed(0)}%`;
    console.log(
      `gateway ack: gateway role alone (no worker) ${where}; open loop ${options.rate}/s for ${options.seconds} s — ${machine}`,
    );
    console.log(
      `  sent ${samples.length} in ${sendSeconds.toFixed(1)} s = ${(samples.length / sendSeconds).toFixed(1)}/s achieved; scheduler max lag ${maxLagMs.toFixed(1)} ms`,
    );
    console.log(`  ack as the driver timed it:   ${describeLatencies(samples.map((s) => s.ms))}`);
    console.log(`  ack from the scheduled time:  ${describeLatencies(samples.map((s) => s.fromSchedule))}`);
    console.log(
      `  errors (non-200 or > ${slackLimitMs} ms): ${errors}; answered but not queued: ${notQueued}; roots posted: ${roots}`,
    );
    console.log(
      `  CPU of one core: driver + emulator ${pct((cpu.user + cpu.system) / 1000)}${child.cpuMs === undefined ? ' (+ gateway)' : `, gateway process ${pct(child.cpuMs)} (RSS ${child.rssMiB} MiB)`}`,
    );
    console.log(
      `  event-loop delay: driver + emulator ${loopMs({ p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 })}${child.loop ? `; gateway ${loopMs(child.loop)}` : ''}`,
    );
    const p99 = quantile(
      samples.map((s) => s.fromSchedule),
      0.99,
    );
    console.log(`  target p99 ≤ 20 ms and 0 errors: ${p99 <= 20 && errors === 0 ? 'met' : 'MISSED'}`);
  }
} finally {
  await gateway.stop().catch(() => undefined);
  await emu.stop();
  const deleted = await deleteBotKeys(benchRedisUrl, gateway.cluster);
  console.log(`  cleaned ${deleted} Redis keys of coxswain:${gateway.cluster}`);
}
