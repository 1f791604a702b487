// The security tests' common ground: a policy file of the test's own, the Slack
// emulator with a cast of users in one channel, the real bot (gateway + worker)
// against the test cluster, and `say`, which sends a signed /k8s through the HTTP
// endpoint and returns what the person saw in the ack.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { startTestBot, type TestBot } from './bot.ts';
import { readAuditTrail } from './audit-trail.ts';
import type { TestNamespace } from './kube.ts';
import { SlackEmulator, type SlackDriver, type SlashCommandResult, type UserSeed } from './slack-emulator/index.ts';

/** The people of a guarded bot's workspace: Alice, Bob, Carol, Dave and Eve, all in #C0OPS. */
export const cast: readonly UserSeed[] = ['alice', 'bob', 'carol', 'dave', 'eve'].map((name) => ({
  id: `U0${name.toUpperCase()}`,
  name,
}));

/** Options of startGuardedBot. */
export interface GuardedBotOptions {
  readonly ns: TestNamespace;
  /** The policy's YAML. */
  readonly policy: string;
  /** More environment for the bot (COXSWAIN_RATE_USER, SLACK_TEAM_ID, …). */
  readonly env?: Record<string, string>;
  /** People besides the cast (a Slack Connect guest). */
  readonly guests?: readonly UserSeed[];
}

/** A running guarded bot. */
export interface GuardedBot {
  readonly emu: SlackEmulator;
  readonly bot: TestBot;
  readonly slack: SlackDriver;
  /** The policy file the bot reads (rewrite it to change the policy; the bot reloads it). */
  readonly policyFile: string;
  /** Sends `/k8s text` as `user` in #C0OPS; the ack's text and blocks as one string ('' when the ack is empty). */
  say(user: string, text: string): Promise<string>;
  /** The same, with the whole result. */
  send(user: string, text: string): Promise<SlashCommandResult>;
  /** The bot's audit trail, oldest first. */
  audit(): Promise<readonly AuditRecord[]>;
  stop(): Promise<void>;
}

/** The ack as one string: its text and its blocks' JSON. */
export function ackText(result: SlashCommandResult): string {
  return result.ack ? `${result.ack.text}\n${JSON.stringify(result.ack.blocks ?? [])}` : '';
}

/** Starts the emulator and the bot under the test's policy. */
export async function startGuardedBot(o: GuardedBotOptions): Promise<GuardedBot> {
  const policyFile = join(o.ns.cluster.dir, `policy-${o.ns.name}-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(policyFile, o.policy);
  const users = [...cast, ...(o.guests ?? [])];
  const emu = await SlackEmulator.start({
    allowWarnings: ['channel_rate'],
    users,
    channels: [{ id: 'C0OPS', name: 'ops', members: ['U0BOT', ...users.map((u) => u.id)] }],
  });
  const bot = await startTestBot({ emu, cluster: o.ns.cluster, policyFile, ...(o.env ? { env: o.env } : {}) });
  const slack = emu.driver(bot.eventsUrl);
  const send = (user: string, text: string): Promise<SlashCommandResult> =>
    slack.slashCommand('/k8s', text, { user, channel: 'C0OPS' });
  return {
    emu,
    bot,
    slack,
    send,
    policyFile,
    say: async (user, text) => ackText(await send(user, text)),
    audit: async () =>
      (await readAuditTrail(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', bot.cluster)).records.map(
        (r) => r.record,
      ),
    stop: async () => {
      await bot.stop();
      await emu.stop();
    },
  };
}
