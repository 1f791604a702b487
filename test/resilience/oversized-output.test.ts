// Output far bigger than a Slack message: a 10 MB container log through
// `/k8s logs`, and 5,000 pods in one namespace through `/k8s get pods`. The bot
// runs as its own process (`coxswain start`, all roles) with its V8 heap capped,
// so memory that grows with the output kills it: the cap is the bound. Its peak
// RSS (VmHWM, /proc) and heap in use (/metrics) are read around each command.
// Each reply must stay within Slack's limits (the emulator validates Block Kit;
// the sizes are also checked here), say how much was left out, and come in
// bounded time.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bulkTaint, ensureBulkNode } from '../support/cluster/bootstrap.ts';
import { freePort, waitUntil } from '../support/cluster/processes.ts';
import { servePodLogs, useTestNamespace } from '../support/kube.ts';
import { SlackEmulator, validateBlocks, type RecordedCall, type SlackDriver } from '../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../support/slack-flow.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const logs = useTestNamespace('big-logs');
const crowd = useTestNamespace('big-crowd');
jest.setTimeout(900_000);

/** What Slack accepts (slack-wire.md §4.2): blocks per message, characters per section, in all blocks, in `text`. */
const slack = { blocks: 50, sectionText: 3000, blocksText: 12_000, text: 4000 } as const;
const mib = 1024 * 1024;
/**
 * The bot's V8 old-space cap. Calibrated on this test's 5,000 pods: listing them in one typed list (the code before
 * pages of 500) died of "heap out of memory" under 96 MiB and needed ~113 MiB of heap under 128; in pages it answers
 * under 80 MiB. The bot's heap at rest, watching those pods, is about 48 MiB.
 */
const heapCapMiB = 96;
/** The worker's memory limit in deploy/overlays/split/worker.yaml: the whole process must stay under it. */
const workerLimitMiB = 512;

let emu: SlackEmulator;
let driver: SlackDriver;
let bot: ChildProcess;
let botPort: number;
const botErr: string[] = [];

interface Memory {
  readonly rss: number;
  readonly peak: number;
  readonly heap: number;
}

/**
 * Resident and peak resident memory of the bot process (Linux /proc), and its V8 heap in use (its /metrics), in MiB.
 */
async function memory(): Promise<Memory> {
  const status = await readFile(`/proc/${bot.pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const metrics = await (await fetch(`http://127.0.0.1:${botPort}/metrics`)).text();
  const heap = Number(/^coxswain_nodejs_heap_size_used_bytes (\d+)/m.exec(metrics)?.[1] ?? NaN) / mib;
  return { rss: round(kib('VmRSS') / 1024), peak: round(kib('VmHWM') / 1024), heap: round(heap) };
}

const round = (n: number): number => Math.round(n * 10) / 10;

beforeAll(async () => {
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  const port = await freePort();
  botPort = port;
  bot = spawn(process.execPath, [`--max-old-space-size=${heapCapMiB}`, join(repo, 'src', 'main.ts'), 'start'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      SLACK_SIGNING_SECRET: emu.signingSecret,
      SLACK_BOT_TOKEN: emu.botToken,
      SLACK_API_URL: emu.apiUrl,
      PORT: String(port),
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      KUBECONFIG: logs.cluster.botKubeconfig,
      COXSWAIN_CLUSTER: `big-${randomBytes(3).toString('hex')}`,
      COXSWAIN_LOG_LEVEL: 'warn',
      COXSWAIN_POLICY: join(repo, 'test', 'support', 'policies', 'everyone-everything.yaml'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  bot.stderr?.on('data', (d: Buffer) => botErr.push(d.toString()));
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, {
    what: 'the bot to be ready',
    timeoutMs: 30_000,
  });
  driver = emu.driver(`http://127.0.0.1:${port}/slack/events`);
});

afterAll(async () => {
  if (bot && bot.exitCode === null) {
    const exited = new Promise((resolve) => bot.once('exit', resolve));
    bot.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise((resolve) => {
        timer = setTimeout(resolve, 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (bot.exitCode === null && bot.signalCode === null) bot.kill('SIGKILL');
  }
  await emu?.stop();
  if (botErr.length > 0) process.stdout.write(`[oversized] the bot's stderr: ${botErr.join('').slice(0, 2000)}\n`);
});

/** Characters as Slack counts them (code points) in every text of the blocks. */
function blocksText(blocks: unknown): number {
  let total = 0;
  JSON.stringify(blocks, (key, value: unknown) => {
    if (key === 'text' && typeof value === 'string') total += Array.from(value).length;
    return value;
  });
  return total;
}

/** The reply is a message Slack accepts and shows whole: checked by the emulator and again here, explicitly. */
function expectWithinSlackLimits(call: RecordedCall | undefined): { blocks: number; chars: number } {
  if (!call) throw new Error('no reply in the thread');
  const blocks = call.params['blocks'] as Array<{ type: string; text?: { text: string } }>;
  expect(call.result['ok']).toBe(true);
  expect(validateBlocks(blocks)).toEqual([]);
  expect(blocks.length).toBeLessThanOrEqual(slack.blocks);
  for (const b of blocks)
    if (b.type === 'section') expect(Array.from(b.text?.text ?? '').length).toBeLessThanOrEqual(slack.sectionText);
  const chars = blocksText(blocks);
  expect(chars).toBeLessThanOrEqual(slack.blocksText);
  expect(Array.from(callText(call)).length).toBeLessThanOrEqual(slack.text);
  expect(emu.blockKitWarnings.filter((w) => w.code !== 'channel_rate')).toEqual([]);
  return { blocks: blocks.length, chars };
}

interface Ran {
  readonly reply: RecordedCall | undefined;
  readonly final: RecordedCall;
  readonly ms: number;
  readonly before: Memory;
  readonly after: Memory;
}

/**
 * Runs a command; returns its reply in the thread, its root's final edit, how long it took to that edit, and the bot's
 * memory around it.
 */
async function run(text: string, marker: string): Promise<Ran> {
  const before = await memory();
  const since = emu.calls.length;
  const started = Date.now();
  await driver.slashCommand('/k8s', text, { user: 'U0ALICE', channel: 'C0OPS' });
  const job = await waitForJob(emu, marker, { since, timeoutMs: 120_000 });
  const ms = Date.now() - started;
  const reply = emu.calls
    .slice(since)
    .find((c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === job.root.result['ts']);
  return { reply, final: job.final, ms, before, after: await memory() };
}

/**
 * Time and memory stayed bounded: the bot is alive under its heap cap, within the worker's limit, and answered in time.
 */
function expectBounded(ran: Ran, maxMs: number): void {
  expect(bot.exitCode).toBeNull();
  expect(botErr.join('')).not.toContain('heap out of memory');
  expect(ran.after.peak).toBeLessThan(workerLimitMiB);
  expect(ran.ms).toBeLessThan(maxMs);
}

const note = (what: string, figures: Record<string, unknown>): void => {
  process.stdout.write(`[oversized] ${what}: ${JSON.stringify(figures)}\n`);
};

const report = (what: string, ran: Ran, extra: Record<string, unknown> = {}): void => {
  const { ms, before, after } = ran;
  const figures = {
    ms,
    rssBefore: before.rss,
    peakRssBefore: before.peak,
    peakRssAfter: after.peak,
    heapBefore: before.heap,
    heapAfter: after.heap,
    heapCap: heapCapMiB,
    ...extra,
  };
  note(what, figures);
};

describe('a 10 MB container log through /k8s logs', () => {
  const lineCount = 100_000;
  // 100,000 numbered lines of 100 bytes (with the CRI prefix, a 10.7 MB file on disk).
  const line = (i: number): string => `line ${String(i).padStart(6, '0')} ${'x'.repeat(88)}`;

  beforeAll(async () => {
    await servePodLogs(logs, 'chatty', { current: Array.from({ length: lineCount }, (_, i) => line(i + 1)) });
    // Five lines of 2 MB each: a byte cap, not a line count, is what bounds this one.
    await servePodLogs(logs, 'wide', {
      current: Array.from({ length: 5 }, (_, i) => `wide ${i + 1} ${String(i + 1).repeat(2 * mib)}`),
    });
    for (const name of ['chatty', 'wide']) {
      await logs.core.createNamespacedPod({
        namespace: logs.name,
        body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0' }] } },
      });
    }
    await waitUntil(
      async () =>
        (await logs.core.listNamespacedPod({ namespace: logs.name })).items.every((p) => p.status?.phase === 'Running'),
      { what: 'the log pods to run', timeoutMs: 30_000 },
    );
  });

  it("shows the newest lines within Slack's limits, says the rest was left out, in bounded time and memory", async () => {
    const ran = await run(`logs chatty -n ${logs.name} --tail 500`, 'logs of chatty');
    const { reply } = ran;
    expect(callText(ran.final)).toMatch(/^✅/u);
    const size = expectWithinSlackLimits(reply);
    const shown = JSON.stringify(reply?.params['blocks']);
    expect(shown).toContain(line(lineCount));
    expect(shown).not.toContain(line(lineCount - 500));
    const left = /… (\d+) earlier lines not shown/.exec(shown);
    expect(Number(left?.[1])).toBeGreaterThan(0);
    expect(shown).toContain('truncated');
    report('logs 10 MB / 100k lines, --tail 500', ran, { ...size, leftOutSaid: left?.[0] });
    expectBounded(ran, 10_000);
  });

  it("shows the newest of 2 MB lines, shortened, within Slack's limits, in bounded time and memory", async () => {
    const ran = await run(`logs wide -n ${logs.name} --tail 3`, 'logs of wide');
    const { reply } = ran;
    expect(callText(ran.final)).toMatch(/^✅/u);
    const size = expectWithinSlackLimits(reply);
    const shown = JSON.stringify(reply?.params['blocks']);
    expect(shown).toContain('lines over 1000 characters shortened');
    expect(shown).toContain('wide 5 5555');
    report('logs 10 MB / five 2 MB lines, --tail 3', ran, size);
    expectBounded(ran, 10_000);
  });
});

describe('5,000 pods in one namespace through /k8s get pods', () => {
  const count = 5000;

  beforeAll(async () => {
    // Bare pods bound to the bulk kwok node (no scheduler round trip, and the three ordinary nodes stay free for every
    // other test's pods), 50 creates in flight at a time.
    const node = await ensureBulkNode(crowd.admin);
    const started = Date.now();
    const names = Array.from({ length: count }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map((name) =>
          crowd.core.createNamespacedPod({
            namespace: crowd.name,
            body: {
              metadata: { name, labels: { app: 'crowd' } },
              spec: {
                nodeName: node,
                tolerations: [{ key: bulkTaint.key, operator: 'Exists', effect: bulkTaint.effect }],
                terminationGracePeriodSeconds: 0,
                containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0' }],
              },
            },
          }),
        ),
      );
    }
    // kwok marks each pod Running; wait for that, so the watcher's share of the work is done before anything is
    // measured.
    await waitUntil(
      async () =>
        (
          await crowd.core.listNamespacedPod({
            namespace: crowd.name,
            fieldSelector: 'status.phase!=Running',
            limit: 1,
          })
        ).items.length === 0,
      { what: 'the 5,000 pods to run', timeoutMs: 300_000 },
    );
    note('created pods', { count, ms: Date.now() - started });
  });

  afterAll(async () => {
    // Deleted now (grace 0, 50 at a time) and waited for, so the shared cluster is not left deleting 5,000 pods behind
    // the next test. (One deleteCollection is slower: the API server deletes one by one and answers 504 after 60 s.)
    const started = Date.now();
    const names = (await crowd.core.listNamespacedPod({ namespace: crowd.name })).items.map(
      (p) => p.metadata?.name ?? '',
    );
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names
          .slice(i, i + 50)
          .map((name) =>
            crowd.core
              .deleteNamespacedPod({ namespace: crowd.name, name, gracePeriodSeconds: 0 })
              .catch(() => undefined),
          ),
      );
    }
    await waitUntil(
      async () => (await crowd.core.listNamespacedPod({ namespace: crowd.name, limit: 1 })).items.length === 0,
      { what: 'the 5,000 pods to be gone', timeoutMs: 120_000, intervalMs: 1000 },
    );
    note('deleted pods', { count: names.length, ms: Date.now() - started });
  });

  it("lists 50 rows within Slack's limits, says 4,950 more were not shown, in bounded time and memory", async () => {
    const ran = await run(`get pods -n ${crowd.name}`, `get pods in ${crowd.name}`);
    const { reply } = ran;
    expect(callText(ran.final)).toMatch(/^✅/u);
    const size = expectWithinSlackLimits(reply);
    const shown = JSON.stringify(reply?.params['blocks']);
    expect(shown).toContain('pod-0000');
    expect(shown).toContain('pod-0049');
    expect(shown).not.toContain('pod-0050');
    expect(shown).toContain(`… ${count - 50} more not shown`);
    expect(reply && callText(reply)).toContain(`(${count} rows)`);
    report('get pods, 5,000 pods', ran, size);
    expectBounded(ran, 30_000);
  });

  it('answers logs of a pod that is not among the 5,000 with a did-you-mean, in bounded time and memory', async () => {
    const ran = await run(`logs pod-00017 -n ${crowd.name}`, 'logs of pod-00017');
    expect(callText(ran.final)).toMatch(/^❌/u);
    expect(callText(ran.final)).toMatch(/was not found — did you mean "pod-\d{4}"\?/u);
    expectWithinSlackLimits(ran.final);
    report('logs of a missing pod among 5,000 (did-you-mean)', ran);
    expectBounded(ran, 30_000);
  });
});
