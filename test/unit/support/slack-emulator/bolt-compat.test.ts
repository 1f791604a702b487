import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Logger, SlashCommand, types } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import { SlackEmulator } from '../../../support/slack-emulator/index.ts';
import type { SlackDriver } from '../../../support/slack-emulator/index.ts';

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

const cardBlocks = (jobId: string): types.KnownBlock[] => [
  {
    type: 'section',
    block_id: 'summary',
    text: { type: 'mrkdwn', text: `*deploy* checkout → 1.4.2 in prod (${jobId})` },
  },
  {
    type: 'actions',
    block_id: 'approval',
    elements: [
      {
        type: 'button',
        action_id: 'approve',
        style: 'primary',
        value: jobId,
        text: { type: 'plain_text', text: 'Approve' },
      },
      {
        type: 'button',
        action_id: 'reject',
        style: 'danger',
        value: jobId,
        text: { type: 'plain_text', text: 'Reject' },
      },
    ],
  },
];

describe('a real Bolt App with HTTPReceiver, driven by the emulator', () => {
  let emu: SlackEmulator;
  let app: App;
  let slack: SlackDriver;
  const commands: SlashCommand[] = [];
  let releaseSlow: () => void = () => undefined;
  const slowGate = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });

  beforeAll(async () => {
    emu = await SlackEmulator.start();
    const receiver = new HTTPReceiver({ signingSecret: emu.signingSecret, logger: silent });
    app = new App({
      token: emu.botToken,
      receiver,
      logger: silent,
      clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/k8s', async ({ command, ack, client }) => {
      commands.push(command);
      await ack();
      await client.chat.postMessage({
        channel: command.channel_id,
        text: 'Approval needed: deploy checkout',
        blocks: cardBlocks('job-42'),
      });
    });
    app.command('/slow', async ({ ack }) => {
      await slowGate;
      await ack();
    });
    app.action('approve', async ({ ack, body, respond }) => {
      await ack();
      await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    const { address, port } = server.address() as AddressInfo;
    slack = emu.driver(`http://${address}:${port}/slack/events`);
  });

  afterAll(async () => {
    releaseSlow();
    await app.stop();
    await emu.stop();
  });

  it('verifies the signature of a slash command, routes it and acks well within 3 s', async () => {
    const ack = await slack.slashCommand('/k8s', 'deploy checkout 1.4.2 -n prod', {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    expect(ack).toMatchObject({ status: 200, body: '', ack: undefined });
    expect(ack.ms).toBeLessThan(3000);
    expect(commands[0]).toMatchObject({
      command: '/k8s',
      text: 'deploy checkout 1.4.2 -n prod',
      user_id: 'U0ALICE',
      user_name: 'alice',
      channel_id: 'C0OPS',
      channel_name: 'ops',
      team_id: 'T0001',
      is_enterprise_install: 'false',
      response_url: ack.responseUrl,
    });
    expect(new URL(ack.responseUrl).hostname).toBe('127.0.0.1');
    const card = await emu.waitFor((c) => c.method === 'chat.postMessage' && c.result.ok);
    expect(card.headers.authorization).toBe('Bearer xoxb-test');
  });

  it('delivers a click on the stored button and lets respond() replace the card', async () => {
    const card = await emu.waitFor((c) => c.method === 'chat.postMessage' && c.result.ok);
    const ts = card.result.ts ?? '';
    const click = await slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approve', user: 'U0BOB' });
    expect(click.status).toBe(200);
    expect(click.ms).toBeLessThan(3000);
    expect(click.payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      container: { message_ts: ts, channel_id: 'C0OPS', is_ephemeral: false },
      actions: [{ action_id: 'approve', block_id: 'approval', value: 'job-42', style: 'primary' }],
    });
    const reply = await emu.waitFor((c) => c.method === 'response_url');
    expect(reply).toMatchObject({ status: 200, params: { replace_original: true } });
    expect(emu.messages('C0OPS')).toEqual([expect.objectContaining({ ts, text: 'Approved by <@U0BOB>' })]);
    await expect(slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approve', user: 'U0ALICE' })).rejects.toThrow(
      /has no button "approve".*was it replaced/,
    );
    expect(emu.blockKitWarnings).toEqual([]);
  });

  it('is refused with 401 when signed with the wrong secret or a stale timestamp', async () => {
    const wrong = await slack.slashCommand('/k8s', 'whoami', {
      user: 'U0ALICE',
      channel: 'C0OPS',
      signingSecret: 'not-the-secret',
    });
    expect(wrong).toMatchObject({ status: 401, body: '' });
    const stale = await slack.slashCommand('/k8s', 'whoami', {
      user: 'U0ALICE',
      channel: 'C0OPS',
      timestampSec: Math.floor(Date.now() / 1000) - 301,
    });
    expect(stale.status).toBe(401);
    expect(commands).toHaveLength(1);
  });

  it("documents Bolt's quirk: a charset on the form content type gives 400", async () => {
    const res = await slack.slashCommand('/k8s', 'whoami', {
      user: 'U0ALICE',
      channel: 'C0OPS',
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    });
    expect(res.status).toBe(400);
  });

  it('reports operation_timeout when the bot does not ack in time', async () => {
    const res = await slack.slashCommand('/slow', '', { user: 'U0ALICE', channel: 'C0OPS', timeoutMs: 200 });
    expect(res).toMatchObject({ status: 0, error: 'operation_timeout' });
    expect(res.ms).toBeGreaterThanOrEqual(200);
  });
});
