// Slack's Web API rate limiting (429 with Retry-After) and failing (5xx) for a
// while, as the emulator answers it: the bot's messages arrive late, but each
// exactly once, and in order within each job's thread.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.ts';
import { makeDeployment, useTestNamespace } from '../support/kube.ts';
import { SlackEmulator, type RecordedCall } from '../support/slack-emulator/index.ts';
import { callText, waitForJob, type FinishedJob } from '../support/slack-flow.ts';

const ns = useTestNamespace('slack-errors');
jest.setTimeout(300_000);

let emu: SlackEmulator;
let bot: TestBot;

beforeAll(async () => {
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  // The bot as shipped: the Web API client's own retry policy, nothing shortened.
  bot = await startTestBot({ emu, cluster: ns.cluster });
  const ready = { 'pod-ready.stage.kwok.x-k8s.io/delay': '2s' };
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 2, podAnnotations: ready }),
  });
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('api', 'ghcr.io/acme/api:1.0') });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

/** Where a root edit puts the job: queued 1, waiting 2, running 3, finished 4. */
function stage(text: string): number {
  if (/^[✅❌]/u.test(text)) return 4;
  if (/ · running/u.test(text)) return 3;
  if (/ · waiting/u.test(text)) return 2;
  return / · queued/u.test(text) ? 1 : 0;
}

/**
 * What Slack accepted for a job's thread: the root's posts and edits, and the replies, in the order Slack took them.
 */
function accepted(job: FinishedJob): { posts: RecordedCall[]; edits: RecordedCall[]; replies: RecordedCall[] } {
  const ts = String(job.root.result['ts']);
  const ok = emu.calls.filter((c) => c.status === 200 && c.result['ok'] === true);
  return {
    posts: ok.filter(
      (c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined && c.result['ts'] === ts,
    ),
    edits: ok.filter((c) => c.method === 'chat.update' && c.params['ts'] === ts),
    replies: ok.filter((c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === ts),
  };
}

/** One root, one reply, edits that never go back, ending with the one ✅ after the reply. */
function expectOnceAndInOrder(job: FinishedJob): void {
  const { posts, edits, replies } = accepted(job);
  expect(posts).toHaveLength(1);
  expect(replies).toHaveLength(1);
  const stages = edits.map((c) => stage(callText(c)));
  expect(stages).toEqual([...stages].sort((a, b) => a - b));
  expect(stages.filter((s) => s === 4)).toHaveLength(1);
  expect(edits.at(-1)).toBe(job.final);
  expect(emu.calls.indexOf(replies[0] as RecordedCall)).toBeLessThan(emu.calls.indexOf(job.final));
  expect(emu.thread(String(job.root.params['channel']), String(job.root.result['ts'])).slice(1)).toHaveLength(1);
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// "A while": the Web API client retries for about a minute (src/slack/create-web-client.ts); 25 s is well inside it.
describe('when Slack rate limits and then fails for 25 s', () => {
  it('posts every message of two jobs late, once each, in order per thread', async () => {
    const since = emu.calls.length;
    const slack = emu.driver(bot.eventsUrl);
    const ack = async (text: string, user: string): Promise<void> => {
      const answer = await slack.slashCommand('/k8s', text, { user, channel: 'C0OPS' });
      expect([answer.status, answer.ack, answer.ms < 3000]).toEqual([200, undefined, true]);
    };
    // One job is following its rollout when Slack goes bad; the other is asked for while it is.
    await ack(`deploy web ghcr.io/acme/web:2.0 -n ${ns.name}`, 'U0ALICE');
    await emu.waitFor(
      (c) => c.method === 'chat.update' && callText(c).includes('deploy web') && callText(c).includes(' · running'),
      { since },
    );
    const start = Date.now();
    const outageEnd = start + 25_000;
    for (const method of ['chat.postMessage', 'chat.update']) {
      // 5 s of 429 Retry-After: 2, then (the earlier outage answers while it lasts) 503 until 25 s.
      emu.faults
        .during(method, { status: 429, retryAfter: 2 }, { forMs: 5_000 })
        .during(method, { status: 503 }, { forMs: 25_000 });
    }
    await ack(`scale api 2 -n ${ns.name}`, 'U0BOB');
    const jobs = await Promise.all(
      ['deploy web', 'scale api'].map((marker) => waitForJob(emu, marker, { since, timeoutMs: 120_000 })),
    );
    await settle(3000);

    for (const job of jobs) {
      expect(job.finalText).toMatch(/^✅/u);
      expect(job.final.time).toBeGreaterThanOrEqual(outageEnd - 100);
      expectOnceAndInOrder(job);
    }
    const faulted = emu.calls.slice(since).filter((c) => c.fault !== undefined);
    expect(faulted.some((c) => c.status === 429)).toBe(true);
    expect(faulted.some((c) => c.status === 503 && c.params['ts'] === jobs[0]?.root.result['ts'])).toBe(true);
    expect(
      faulted.some((c) => c.status === 503 && callText(c).includes('scale api') && c.params['ts'] === undefined),
    ).toBe(true);
    expect(
      (await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.template.spec?.containers[0]
        ?.image,
    ).toBe('ghcr.io/acme/web:2.0');
    process.stdout.write(
      `slack-errors: ${faulted.length} calls refused (${faulted.filter((c) => c.status === 429).length} × 429); ✅ ${jobs.map((j) => j.final.time - outageEnd).join(' / ')} ms after the 25 s disturbance ended\n`,
    );
  });
});

describe('when Slack keeps failing one edit of a thread root', () => {
  it("never lets that edit land after the job's later ones", async () => {
    const since = emu.calls.length;
    // The second deploy of web waits for the first's lock and says so; Slack answers that edit 503 for 6 s.
    const faultFrom = Date.now();
    emu.faults.during(
      'chat.update',
      { status: 503 },
      { forMs: 6_000, match: (p) => String(p['text']).includes('waiting for') },
    );
    const slack = emu.driver(bot.eventsUrl);
    await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:3.0 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    await emu.waitFor(
      (c) => c.method === 'chat.update' && callText(c).includes('web:3.0') && callText(c).includes(' · running'),
      { since },
    );
    await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:4.0 -n ${ns.name}`, {
      user: 'U0BOB',
      channel: 'C0OPS',
    });
    const jobs = await Promise.all(
      ['web:3.0', 'web:4.0'].map((marker) => waitForJob(emu, marker, { since, timeoutMs: 120_000 })),
    );
    // Until the refused edit's retries (0.5, 1, 2, 4, 8 s backoff, each up to twice that) would have come in had it not
    // waited its turn.
    await settle(Math.max(0, faultFrom + 25_000 - Date.now()));

    expect(emu.calls.slice(since).some((c) => c.fault !== undefined && callText(c).includes('waiting for'))).toBe(true);
    for (const job of jobs) {
      expect(job.finalText).toMatch(/^✅/u);
      expectOnceAndInOrder(job);
    }
    expect(
      (await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.template.spec?.containers[0]
        ?.image,
    ).toBe('ghcr.io/acme/web:4.0');
  });
});
