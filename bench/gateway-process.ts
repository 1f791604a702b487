// The gateway role alone in a process of its own, for bench/gateway-ack.ts: so
// the Slack emulator and the driver (which play Slack, another machine in real
// life) do not share the bot's event loop. Configured like test/support/bot.ts.
// Prints {"port":N} when listening; on SIGTERM prints {"cpuMs":N,"rssMiB":N,"own":{…}} (own: the gateway's
// own time per request, connection accepted → answer written, quantiles in ms) and exits.
import { appendFileSync, createWriteStream, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import {
  constants,
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.ts';
import { startRoles } from '../src/roles/start-roles.ts';
import { allCommands } from '../commands/index.ts';

/** What the parent passes as argv[2] (JSON). */
export interface GatewayProcessOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly apiUrl: string;
  readonly redisUrl: string;
  readonly kubeconfig: string;
  readonly cluster: string;
}

const o = JSON.parse(process.argv[2] ?? '{}') as GatewayProcessOptions;
const config = loadConfig({
  SLACK_SIGNING_SECRET: o.signingSecret,
  SLACK_BOT_TOKEN: o.botToken,
  SLACK_API_URL: o.apiUrl,
  PORT: '0',
  REDIS_URL: o.redisUrl,
  KUBECONFIG: o.kubeconfig,
  COXSWAIN_CLUSTER: o.cluster,
  COXSWAIN_LOG_LEVEL: 'error',
  // Measure the path of an allowed command (claim, root post, enqueue), not of a refusal.
  COXSWAIN_POLICY: fileURLToPath(new URL('../test/support/policies/everyone-everything.yaml', import.meta.url)),
  // The rate buckets are checked (a Redis round trip on every request, part of what is measured) but never run dry.
  COXSWAIN_RATE_USER: '100000/1s',
  COXSWAIN_RATE_CHANNEL: '100000/1s',
  COXSWAIN_MAX_QUEUED_PER_USER: '1000000',
});
// BENCH_GATEWAY_TRACE=<file>: every GC (kind, ms) and, each second, memory and the loop's worst delay, as JSON lines.
// (--trace-gc would write to stdout, which is this process's protocol with the parent.)
const traceFile = process.env['BENCH_GATEWAY_TRACE'];
// The gateway's own share of every ack, always timed (one number per request): reported beside the client's.
const serverSide = timeServerSide();
const errors: string[] = [];
const running = await startRoles({
  config,
  role: 'gateway',
  commands: allCommands,
  log: (level, message) => {
    if (errors.length < 20) errors.push(`${level} ${message}`);
  },
});
let cpu0 = process.cpuUsage();
// Event-loop delay: every request waits behind whatever blocks the loop (GC, parsing, rendering).
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
process.on('SIGUSR2', () => {
  cpu0 = process.cpuUsage();
  loopDelay.reset();
  loopDelay.enable();
  serverSide.all.splice(0);
});
// BENCH_GATEWAY_ALLOC=<file>: a sampling profile of everything allocated (garbage included), written on SIGTERM;
// with BENCH_GATEWAY_ALLOC_MINOR=0, without what young-generation GCs freed: what lived long enough to be promoted.
const allocFile = process.env['BENCH_GATEWAY_ALLOC'];
const inspector = allocFile ? new Session() : undefined;
if (inspector) {
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env['BENCH_GATEWAY_ALLOC_MINOR'] !== '0',
  });
}
process.once('SIGTERM', () => {
  const cpu = process.cpuUsage(cpu0);
  // The gateway's own share of the ack (connection accepted → answer written), for every request measured.
  const own = serverSideQuantiles(serverSide.all);
  if (traceFile) appendFileSync(traceFile, `${JSON.stringify({ serverSide: own })}\n`);
  const loop = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  console.log(
    JSON.stringify({
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      loop,
      own,
      errors,
    }),
  );
  void writeAllocationProfile()
    .then(() => running.stop())
    .finally(() => process.exit(0));
});
if (traceFile) traceTo(traceFile);
console.log(JSON.stringify({ port: running.port }));

async function writeAllocationProfile(): Promise<void> {
  if (inspector && allocFile)
    writeFileSync(allocFile, JSON.stringify((await inspector.post('HeapProfiler.stopSampling')).profile));
}

function serverSideQuantiles(all: number[]): Record<string, number> {
  const sorted = [...all].sort((a, b) => a - b);
  const at = (q: number): number =>
    Number((sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0).toFixed(1));
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** Per second: the gateway's own time from a request's connection and from its first byte to the end of its answer. */
interface ServerSide {
  slow: number;
  maxFromRequest: number;
  maxFromConnection: number;
  /** Every request's, connection → answer (ms). */ readonly all: number[];
}

/**
 * Times every HTTP request inside this process (connection accepted → request parsed → answer written), so a
 * slow ack can be told apart from a slow client or network: wraps Server#emit before Bolt creates its server.
 */
function timeServerSide(): ServerSide {
  const stats: ServerSide = { slow: 0, maxFromRequest: 0, maxFromConnection: 0, all: [] };
  const accepted = new WeakMap<object, number>();
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection' && args[0]) accepted.set(args[0], performance.now());
    if (event === 'request') {
      const [req, res] = args as [IncomingMessage, ServerResponse];
      const started = performance.now();
      res.once('finish', () => {
        const now = performance.now();
        const fromRequest = now - started;
        stats.maxFromRequest = Math.max(stats.maxFromRequest, fromRequest);
        const fromConnection = now - (accepted.get(req.socket) ?? started);
        stats.maxFromConnection = Math.max(stats.maxFromConnection, fromConnection);
        stats.all.push(fromConnection);
        if (fromRequest > 20) stats.slow++;
      });
    }
    return Reflect.apply<Server, unknown[], boolean>(emit, this, [event, ...args]);
  } as typeof Server.prototype.emit;
  return stats;
}

function traceTo(file: string): void {
  // Appending (O_APPEND): the exit report below is written to the same file synchronously.
  writeFileSync(file, '');
  const out = createWriteStream(file, { flags: 'a' });
  const t0 = performance.now();
  const at = (): number => Math.round(performance.now() - t0);
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
      out.write(
        `${JSON.stringify({ t: Math.round(e.startTime - t0), epoch: Math.round(performance.timeOrigin + e.startTime), gc: kinds[detail?.kind ?? 0] ?? detail?.kind, ms: Number(e.duration.toFixed(2)) })}\n`,
      );
    }
  }).observe({ entryTypes: ['gc'] });
  const second = monitorEventLoopDelay({ resolution: 2 });
  second.enable();
  // Redis as this process sees it: a PING every 50 ms on a connection of its own; the worst round trip each second.
  const redis = new Redis(o.redisUrl);
  let redisMax = 0;
  setInterval(() => {
    const sent = performance.now();
    void redis.ping().then(
      () => {
        redisMax = Math.max(redisMax, performance.now() - sent);
      },
      () => undefined,
    );
  }, 50).unref();
  setInterval(() => {
    const m = process.memoryUsage();
    const mib = (n: number): number => Math.round(n / 2 ** 20);
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, mib(sp.space_size)]));
    out.write(
      `${JSON.stringify({
        t: at(),
        rss: mib(m.rss),
        heapUsed: mib(m.heapUsed),
        heapTotal: mib(m.heapTotal),
        external: mib(m.external),
        ab: mib(m.arrayBuffers),
        newSpace: spaces['new_space'],
        oldSpace: spaces['old_space'],
        codeSpace: spaces['code_space'],
        malloced: mib(getHeapStatistics().malloced_memory),
        loopMax: Math.round(second.max / 1e6),
        redisMax: Math.round(redisMax),
        serverMax: Math.round(serverSide.maxFromRequest),
        serverFromConnMax: Math.round(serverSide.maxFromConnection),
        serverSlow: serverSide.slow,
      })}\n`,
    );
    Object.assign(serverSide, { slow: 0, maxFromRequest: 0, maxFromConnection: 0 });
    second.reset();
    redisMax = 0;
  }, 1000).unref();
}
