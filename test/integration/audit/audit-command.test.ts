// /k8s audit end to end: signed requests through the real HTTP endpoint under a
// policy; what Alice was refused and what her job did show up for an auditor,
// only to the auditor, and anyone else is refused.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createAuditLog } from '../../../src/audit/audit-log.ts';
import { auditKeys } from '../../../src/audit/audit-store.ts';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('audit');
jest.setTimeout(60_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;
let redis: Redis;

beforeAll(async () => {
  const policyFile = join(ns.cluster.dir, `policy-audit-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `
roles:
  viewer:  [{ verbs: [get] }]
  auditor: [{ verbs: [audit] }]
bindings:
  - { role: viewer,  users: ["*"] }
  - { role: auditor, users: [U0AUDITOR] }
`,
  );
  const everyone = ['U0ALICE', 'U0AUDITOR', 'U0BOT'];
  emu = await SlackEmulator.start({
    allowWarnings: ['channel_rate'],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0AUDITOR', name: 'auditor' },
    ],
    channels: [{ id: 'C0OPS', name: 'ops', members: everyone }],
  });
  bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
  if (redis) {
    const keys = auditKeys(bot.cluster);
    await redis.del(keys.stream, keys.head, keys.anchor);
    redis.disconnect();
  }
});

const answer = (ack: Awaited<ReturnType<SlackDriver['slashCommand']>>['ack']): string =>
  `${ack?.text ?? ''}\n${JSON.stringify(ack?.blocks ?? [])}`;

describe('/k8s audit', () => {
  it('shows an auditor what Alice was refused and how her job ended, only to the auditor', async () => {
    const denied = await slack.slashCommand('/k8s', `scale web 2 -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    expect(answer(denied.ack)).toContain('You may not scale web');
    const since = emu.calls.length;
    await slack.slashCommand('/k8s', `get pods -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    expect((await waitForJob(emu, 'get pods', { since })).finalText).toMatch(/^✅/u);

    const posted = emu.callsTo('chat.postMessage').length;
    const audit = await slack.slashCommand('/k8s', 'audit --user <@U0ALICE> --since 1h', {
      user: 'U0AUDITOR',
      channel: 'C0OPS',
    });
    expect(audit.ack?.visibility).toBe('ephemeral');
    expect(audit.ack?.errors).toEqual([]);
    const text = answer(audit.ack);
    expect(text).toContain('request.denied');
    expect(text).toContain(`scale web 2 -n ${ns.name}`);
    expect(text).toContain('denied: You may not scale web');
    expect(text).toContain('job.finished');
    expect(text).toContain('✅ succeeded');
    expect(text).toContain('job.started');
    expect(text).toContain('request.queued');
    expect(text).not.toContain('U0AUDITOR');
    // Audit output is sensitive: nothing was posted in the channel for it.
    expect(emu.callsTo('chat.postMessage').length).toBe(posted);
  });

  it('takes a mention with a name, a verb and a limit', async () => {
    const audit = await slack.slashCommand('/k8s', 'audit --user <@U0ALICE|alice> --verb scale --limit 5', {
      user: 'U0AUDITOR',
      channel: 'C0OPS',
    });
    const text = answer(audit.ack);
    expect(text).toContain('request.denied');
    expect(text).not.toContain('get pods');
  });

  it('refuses someone without the audit verb, and records that too', async () => {
    const refused = await slack.slashCommand('/k8s', 'audit --since 1h', { user: 'U0ALICE', channel: 'C0OPS' });
    expect(refused.ack?.visibility).toBe('ephemeral');
    expect(answer(refused.ack)).toContain('You may not audit');
    const audit = await slack.slashCommand('/k8s', 'audit --user U0ALICE --verb audit', {
      user: 'U0AUDITOR',
      channel: 'C0OPS',
    });
    expect(answer(audit.ack)).toContain('denied: You may not audit');
  });

  it('refuses bad input with the reason, and the bounds', async () => {
    const since = await slack.slashCommand('/k8s', 'audit --since 400d', { user: 'U0AUDITOR', channel: 'C0OPS' });
    expect(answer(since.ack)).toContain('--since: is at most 90d');
    const limit = await slack.slashCommand('/k8s', 'audit --limit 1000', { user: 'U0AUDITOR', channel: 'C0OPS' });
    expect(answer(limit.ack)).toContain('limit is at most 100');
    const user = await slack.slashCommand('/k8s', 'audit --user alice', { user: 'U0AUDITOR', channel: 'C0OPS' });
    expect(answer(user.ack)).toContain('mention the person');
  });

  it('leaves a chain that verifies, and a JSON log line for every record', async () => {
    const verdict = await createAuditLog({ redis, cluster: bot.cluster, log: () => undefined }).verify();
    expect(verdict).toMatchObject({ ok: true });
    const stored = await redis.xlen(auditKeys(bot.cluster).stream);
    expect(verdict.count).toBe(stored);
    expect(bot.logs.filter((l) => l.includes('"message":"audit"')).length).toBe(stored);
  });
});
