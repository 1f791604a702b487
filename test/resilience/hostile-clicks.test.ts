// Button clicks that Slack signed but that do not belong where they claim to:
// an approval or alert button naming a request or alert that does not exist,
// sent from another channel, or clicked on stale UI after the request expired
// or the alert recovered — and clicks forged with someone else's user id and a
// wrong secret, or replayed. Each is refused (the clicker is told why, where
// Slack would show it), changes nothing (no vote, no job, no card edit, the
// cluster untouched) and is in the audit trail. The genuine clicks still work.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApprovalStore } from '../../src/approvals/approval-store.ts';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { keyPrefix, queuePrefix } from '../../src/queue/job-queue.ts';
import { waitForAlertMessage } from '../support/alert-records.ts';
import { startTestBot, type TestBot, testSealer } from '../support/bot.ts';
import { makeDeployment, useTestNamespace } from '../support/kube.ts';
import { writeApprovalPolicy } from '../support/policies/approval-policy.ts';
import { SlackEmulator, type RecordedCall, type SlackDriver } from '../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../support/slack-flow.ts';

const ns = useTestNamespace('hostile');
jest.setTimeout(120_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;
let redis: Redis;
let audit: AuditLog;
let jobs: Queue;
const people = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0BOT'];
const attackerSecret = 'an-attacker-guess-0f3c9a';

beforeAll(async () => {
  // Bob may approve in every channel: only the click's own checks can refuse a vote from elsewhere.
  const policyFile = await writeApprovalPolicy(
    ns.cluster.dir,
    'hostile',
    [
      `{ namespaces: [${ns.name}], verbs: [scale], deployments: [web], approvers: { users: [U0BOB] } }`,
      `{ namespaces: [${ns.name}], verbs: [scale], deployments: [short], approvers: { users: [U0BOB] }, expiresAfter: 3s }`,
    ],
    {
      more: `alerts:
  routes:
    - { namespaces: [${ns.name}], channel: C0ALERTS }
  recoverAfter: 2s
`,
    },
  );
  emu = await SlackEmulator.start({
    allowWarnings: ['channel_rate'],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0CAROL', name: 'carol' },
    ],
    channels: [
      { id: 'C0OPS', name: 'ops', members: people },
      { id: 'C0ALERTS', name: 'alerts', members: people },
      { id: 'C0OTHER', name: 'other', members: people },
    ],
  });
  bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  audit = createAuditLog({ redis, cluster: bot.cluster, log: () => undefined });
  jobs = new Queue(bot.cluster, { connection: redis, prefix: queuePrefix });
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('short', 'ghcr.io/acme/short:1.0'),
  });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
  await jobs?.close();
  redis?.disconnect();
});

/** Every job the bot's queue has ever had (completed ones are kept): a refused click must not add one. */
async function jobCount(): Promise<number> {
  const counts = await jobs.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Waits for an audit record written since `sinceMs` that matches, and returns it. */
async function audited(sinceMs: number, match: (r: AuditRecord) => boolean, what: string): Promise<AuditRecord> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = (await audit.query({ sinceMs, limit: 100 })).records.map((r) => r.record).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no audit record ${what} since ${new Date(sinceMs).toISOString()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The ephemeral answer `user` got after `since` (the click's response_url), as text. */
async function answerTo(user: string, since: number): Promise<string> {
  await emu.waitFor((c) => c.method === 'response_url', { since });
  return JSON.stringify(emu.ephemerals(user).at(-1));
}

const hasButtons = (c: RecordedCall): boolean => JSON.stringify(c.params['blocks'] ?? '').includes('approval_approve');
const editsOf = (ts: string, since: number): RecordedCall[] =>
  emu.calls.slice(since).filter((c) => c.method === 'chat.update' && c.params['ts'] === ts);
const postsSince = (since: number): RecordedCall[] =>
  emu.calls.slice(since).filter((c) => c.method === 'chat.postMessage');
const replicas = async (name: string): Promise<number | undefined> =>
  (await ns.apps.readNamespacedDeployment({ name, namespace: ns.name })).spec?.replicas;

async function requestApproval(text: string): Promise<{ ts: string; id: string }> {
  const since = emu.calls.length;
  await slack.slashCommand('/k8s', text, { user: 'U0ALICE', channel: 'C0OPS' });
  const posted = await emu.waitFor((c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'), {
    since,
  });
  const ts = String(posted.result['ts']);
  await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && hasButtons(c), { since });
  return { ts, id: /approval request ([a-z2-9]{6})/.exec(callText(posted))?.[1] ?? '' };
}

/** A genuine click's payload, edited: the fields Slack fills from where the click happened. */
function moved(
  payload: Record<string, unknown>,
  where: { channel?: string; ts?: string; value?: string },
): Record<string, unknown> {
  type Click = {
    channel: Record<string, unknown>;
    container: Record<string, unknown>;
    actions: Array<Record<string, unknown>>;
  };
  const copy = structuredClone(payload) as Record<string, unknown> & Click;
  if (where.channel) {
    copy.channel.id = where.channel;
    copy.container.channel_id = where.channel;
  }
  if (where.ts) copy.container.message_ts = where.ts;
  if (where.value !== undefined && copy.actions[0]) copy.actions[0].value = where.value;
  return copy;
}

describe('approval buttons', () => {
  let card: { ts: string; id: string };
  const store = () => createApprovalStore(redis, keyPrefix(bot.cluster), testSealer());

  beforeAll(async () => {
    card = await requestApproval(`scale web 3 -n ${ns.name}`);
  });

  /**
   * Nothing changed: the request has no votes and is pending, the card was not edited, no job was added, web has 1
   * replica.
   */
  async function expectUnchanged(since: number, jobsBefore: number): Promise<void> {
    // Anything the click set off would have happened by now (the gateway answered, the worker polls continuously).
    await new Promise((resolve) => setTimeout(resolve, 750));
    const request = await store().get(card.id);
    expect([request?.state, request?.votes]).toEqual(['pending', []]);
    expect(editsOf(card.ts, since)).toEqual([]);
    expect(postsSince(since)).toEqual([]);
    expect(await jobCount()).toBe(jobsBefore);
    expect(await replicas('web')).toBe(1);
  }

  it('refuses a signed click naming a request that does not exist, says so, and audits it', async () => {
    const t0 = Date.now();
    const jobsBefore = await jobCount();
    const since = emu.calls.length;
    const { payload } = slack.buildClick({
      channel: 'C0OPS',
      ts: card.ts,
      actionId: 'approval_approve',
      user: 'U0BOB',
    });
    const result = await slack.sendClick(moved(payload, { value: 'zzzzzz' }));
    expect(result.status).toBe(200);
    expect(await answerTo('U0BOB', since)).toContain('There is no approval request `zzzzzz`');
    const record = await audited(
      t0,
      (r) => r.kind === 'approval.vote' && r.detail?.['request'] === 'zzzzzz',
      'of the vote on zzzzzz',
    );
    expect(record).toMatchObject({ user: 'U0BOB', channel: 'C0OPS', decision: 'refused' });
    await expectUnchanged(since, jobsBefore);
  });

  it.each([
    ["from another channel than the card's", { channel: 'C0OTHER' }, 'another channel'],
    ["on another message of the card's channel", { ts: '1600000000.000100' }, 'not on request'],
  ])('refuses a signed click %s, says so, and audits it', async (_what, where, words) => {
    const t0 = Date.now();
    const jobsBefore = await jobCount();
    const since = emu.calls.length;
    const { payload } = slack.buildClick({
      channel: 'C0OPS',
      ts: card.ts,
      actionId: 'approval_approve',
      user: 'U0BOB',
    });
    expect((await slack.sendClick(moved(payload, where))).status).toBe(200);
    expect(await answerTo('U0BOB', since)).toContain(words);
    const record = await audited(
      t0,
      (r) => r.kind === 'approval.vote' && r.detail?.['request'] === card.id && (r.reason ?? '').includes(words),
      `of the vote ${words}`,
    );
    expect(record).toMatchObject({ user: 'U0BOB', decision: 'denied' });
    await expectUnchanged(since, jobsBefore);
  });

  it('refuses (401) a click claiming to be Bob signed with a wrong secret, and a replayed one; both audited as unverified, no secret stored', async () => {
    const t0 = Date.now();
    const jobsBefore = await jobCount();
    const since = emu.calls.length;
    const { payload } = slack.buildClick({
      channel: 'C0OPS',
      ts: card.ts,
      actionId: 'approval_approve',
      user: 'U0BOB',
    });
    const forged = await slack.sendClick(payload, { signingSecret: attackerSecret });
    const replayed = await slack.sendClick(payload, { timestampSec: Math.floor(Date.now() / 1000) - 600 });
    expect([forged.status, replayed.status]).toEqual([401, 401]);
    for (const reason of ['bad_signature', 'stale']) {
      const record = await audited(
        t0,
        (r) => r.kind === 'request.refused' && r.reason === reason,
        `refusing a ${reason} click`,
      );
      expect(record.user).toBeUndefined();
      expect(record.detail).toEqual({
        verified: false,
        unverifiedUser: 'U0BOB',
        unverifiedTeam: 'T0001',
        unverifiedChannel: 'C0OPS',
        payloadType: 'block_actions',
        action: 'approval_approve',
      });
      expect(JSON.stringify(record)).not.toContain(attackerSecret);
      expect(JSON.stringify(record)).not.toContain(emu.signingSecret);
      expect(JSON.stringify(record)).not.toContain(card.id);
    }
    expect(emu.calls.slice(since).filter((c) => c.method === 'response_url')).toEqual([]);
    await expectUnchanged(since, jobsBefore);
  });

  it("refuses a click on a card that expired meanwhile (stale UI), and audits it; the expiry is the card's only edit", async () => {
    const short = await requestApproval(`scale short 2 -n ${ns.name}`);
    const { payload } = slack.buildClick({
      channel: 'C0OPS',
      ts: short.ts,
      actionId: 'approval_approve',
      user: 'U0BOB',
    });
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === short.ts && callText(c).includes('(expired)'),
      { timeoutMs: 15_000 },
    );
    const t0 = Date.now();
    const jobsBefore = await jobCount();
    const since = emu.calls.length;
    expect((await slack.sendClick(payload)).status).toBe(200);
    expect(await answerTo('U0BOB', since)).toContain('already expired');
    const record = await audited(
      t0,
      (r) => r.kind === 'approval.vote' && r.detail?.['request'] === short.id,
      'of the late vote',
    );
    expect(record).toMatchObject({ user: 'U0BOB', decision: 'denied' });
    await new Promise((resolve) => setTimeout(resolve, 750));
    expect(editsOf(short.ts, since)).toEqual([]);
    expect(postsSince(since)).toEqual([]);
    expect(await jobCount()).toBe(jobsBefore);
    expect((await store().get(short.id))?.votes).toEqual([]);
    expect(await replicas('short')).toBe(1);
  });

  it("still counts Bob's genuine click on the card, which then runs the job", async () => {
    const since = emu.calls.length;
    expect(
      (await slack.clickButton({ channel: 'C0OPS', ts: card.ts, actionId: 'approval_approve', user: 'U0BOB' })).status,
    ).toBe(200);
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === card.ts && callText(c).includes('(approved)'),
      { since },
    );
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] !== card.ts && /^✅ .*scale web/u.test(callText(c)),
      { since, timeoutMs: 45_000 },
    );
    expect(await replicas('web')).toBe(3);
  });
});

describe('alert buttons', () => {
  let alertTs: string;
  let restartPayload: Record<string, unknown>;

  const restartedAt = async (): Promise<string | undefined> =>
    (await ns.apps.readNamespacedDeployment({ name: 'crashy', namespace: ns.name })).spec?.template.metadata
      ?.annotations?.['kubectl.kubernetes.io/restartedAt'];

  beforeAll(async () => {
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('crashy', 'ghcr.io/acme/crashy:1.0-crashloop'),
    });
    const posted = await emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.status === 200 &&
        c.params['channel'] === 'C0ALERTS' &&
        c.params['thread_ts'] === undefined &&
        callText(c).includes(` crashy in ${ns.name}`),
      { timeoutMs: 30_000 },
    );
    alertTs = String(posted.result['ts']);
    await waitForAlertMessage(bot.cluster, alertTs);
    restartPayload = slack.buildClick({
      channel: 'C0ALERTS',
      ts: alertTs,
      actionId: 'alert_restart',
      user: 'U0ALICE',
    }).payload;
  });

  /**
   * Refused privately with `words`, recorded as request.invalid for Alice, and nothing happened: no job, no thread
   * root, no restart.
   */
  async function expectRefused(payload: Record<string, unknown>, words: string): Promise<void> {
    const t0 = Date.now();
    const jobsBefore = await jobCount();
    const since = emu.calls.length;
    expect((await slack.sendClick(payload)).status).toBe(200);
    const answer = await answerTo('U0ALICE', since);
    expect(answer).toContain(words);
    expect(answer).toContain('Nothing was done');
    const record = await audited(
      t0,
      (r) => r.kind === 'request.invalid' && (r.reason ?? '').includes(words),
      `refusing the alert click (${words})`,
    );
    expect(record).toMatchObject({ user: 'U0ALICE', decision: 'refused' });
    await new Promise((resolve) => setTimeout(resolve, 750));
    expect(postsSince(since)).toEqual([]);
    expect(await jobCount()).toBe(jobsBefore);
    expect(await restartedAt()).toBeUndefined();
  }

  const alertIdOf = (payload: Record<string, unknown>): string =>
    (JSON.parse(String((payload['actions'] as Array<{ value: string }>)[0]?.value)) as { alert: string }).alert;
  const withValue = (change: Record<string, unknown>): Record<string, unknown> => {
    const value = JSON.parse(String((restartPayload['actions'] as Array<{ value: string }>)[0]?.value)) as Record<
      string,
      unknown
    >;
    return moved(restartPayload, { value: JSON.stringify({ ...value, ...change }) });
  };

  it("refuses a signed click naming an alert that does not exist, or another workload under a real alert's id", async () => {
    expect(alertIdOf(restartPayload)).toMatch(/^[0-9a-f]{20}$/);
    await expectRefused(withValue({ alert: 'f'.repeat(20) }), 'names no alert');
    await expectRefused(withValue({ workload: 'Deployment/web' }), 'does not match the alert');
    expect(
      (await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.template.metadata
        ?.annotations?.['kubectl.kubernetes.io/restartedAt'],
    ).toBeUndefined();
  });

  it("refuses a signed click on the alert's button sent from another channel", async () => {
    await expectRefused(moved(restartPayload, { channel: 'C0OTHER' }), 'another channel than the alert');
  });

  it('refuses (401) an alert click claiming to be Alice signed with a wrong secret, audited as unverified', async () => {
    const t0 = Date.now();
    const since = emu.calls.length;
    expect((await slack.sendClick(restartPayload, { signingSecret: attackerSecret })).status).toBe(401);
    const record = await audited(
      t0,
      (r) => r.kind === 'request.refused' && r.detail?.['action'] === 'alert_restart',
      'refusing the forged alert click',
    );
    expect(record.detail).toMatchObject({
      verified: false,
      unverifiedUser: 'U0ALICE',
      unverifiedChannel: 'C0ALERTS',
      payloadType: 'block_actions',
    });
    expect(JSON.stringify(record)).not.toContain(attackerSecret);
    await new Promise((resolve) => setTimeout(resolve, 750));
    expect(postsSince(since)).toEqual([]);
    expect(await restartedAt()).toBeUndefined();
  });

  it("runs Alice's genuine Logs click on the alert", async () => {
    const since = emu.calls.length;
    await slack.clickButton({ channel: 'C0ALERTS', ts: alertTs, actionId: 'alert_logs', user: 'U0ALICE' });
    const job = await waitForJob(emu, 'logs of crashy', { since });
    expect(job.root.params['channel']).toBe('C0ALERTS');
  });

  it('refuses a click on the alert after it recovered (stale UI), and audits it', async () => {
    await ns.apps.patchNamespacedDeployment({
      name: 'crashy',
      namespace: ns.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/crashy:1.1' }],
    });
    await emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' && c.params['thread_ts'] === alertTs && callText(c).includes('recovered after'),
      { timeoutMs: 45_000 },
    );
    await expectRefused(restartPayload, 'alert is over');
  });
});
