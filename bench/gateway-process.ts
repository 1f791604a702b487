// The gateway role alone in a process of its own, for bench/gateway-ack.ts: so
// the Slack emulator and the driver (which play Slack, another machine in real
// life) do not share the bot's event loop. Configured like test/support/bot.ts.
// Prints {"port":N} when listening; on SIGTERM prints {"cpuMs":N,"rssMiB":N} and exits.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.ts';
import { startRoles } from '../src/roles/start-roles.ts';
import { createRegistry } from '../commands/index.ts';

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
  SLACK_SIGNING_SECRET: o.signingSecret, SLACK_BOT_TOKEN: o.botToken, SLACK_API_URL: o.apiUrl, PORT: '0',
  REDIS_URL: o.redisUrl, KUBECONFIG: o.kubeconfig, COXSWAIN_CLUSTER: o.cluster, COXSWAIN_LOG_LEVEL: 'error',
  // Measure the path of an allowed command (claim, root post, enqueue), not of a refusal.
  COXSWAIN_POLICY: fileURLToPath(new URL('../test/support/policies/everyone-everything.yaml', import.meta.url)),
});
const errors: string[] = [];
const running = await startRoles({ config, role: 'gateway', registry: createRegistry(), log: (level, message) => { if (errors.length < 20) errors.push(`${level} ${message}`); } });
let cpu0 = process.cpuUsage();
// Event-loop delay: every request waits behind whatever blocks the loop (GC, parsing, rendering).
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
process.on('SIGUSR2', () => { cpu0 = process.cpuUsage(); loopDelay.reset(); loopDelay.enable(); });
process.once('SIGTERM', () => {
  const cpu = process.cpuUsage(cpu0);
  const loop = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  console.log(JSON.stringify({ cpuMs: Math.round((cpu.user + cpu.system) / 1000), rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), loop, errors }));
  void running.stop().finally(() => process.exit(0));
});
console.log(JSON.stringify({ port: running.port }));
