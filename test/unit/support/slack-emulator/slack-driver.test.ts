import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { verifySlackRequest } from '@slack/bolt';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlackEmulator } from '../../../support/slack-emulator/index.ts';
import type { SlackDriver } from '../../../support/slack-emulator/index.ts';

interface Seen {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in bot that records what it receives and answers with a scripted ack body. */
async function startFakeBot(seen: Seen[], reply: { body: string }): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, reply.body.startsWith('{') ? { 'content-type': 'application/json' } : {}).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const BUTTONS = [
  {
    type: 'actions',
    block_id: 'b',
    elements: [{ type: 'button', action_id: 'logs', value: 'pod-1', text: { type: 'plain_text', text: 'Logs' } }],
  },
];

describe('SlackDriver', () => {
  let emu: SlackEmulator;
  let bot: Server;
  let slack: SlackDriver;
  const seen: Seen[] = [];
  const reply = { body: '' };

  beforeEach(async () => {
    seen.length = 0;
    reply.body = '';
    emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
    bot = await startFakeBot(seen, reply);
    slack = emu.driver(`http://127.0.0.1:${(bot.address() as AddressInfo).port}/slack/events`);
  });

  afterEach(async () => {
    bot.closeAllConnections();
    await new Promise((resolve) => bot.close(resolve));
    await emu.stop();
  });

  it("sends Slack's headers and fields in Slack's order, signed over the exact bytes", async () => {
    await slack.slashCommand('/k8s', 'get pods -n prod', { user: 'U0BOB', channel: 'C0OPS' });
    const [request] = seen;
    expect(request?.headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      accept: 'application/json,*/*',
    });
    expect([...new URLSearchParams(request?.body).keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(request?.body).toContain('command=%2Fk8s&text=get+pods+-n+prod');
    expect(new URLSearchParams(request?.body).get('trigger_id')).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);
    expect(() =>
      verifySlackRequest({
        signingSecret: emu.signingSecret,
        body: request?.body ?? '',
        headers: {
          'x-slack-signature': String(request?.headers['x-slack-signature']),
          'x-slack-request-timestamp': Number(request?.headers['x-slack-request-timestamp']),
        },
      }),
    ).not.toThrow();
  });

  it('issues a fresh response_url for every request', async () => {
    const a = await slack.slashCommand('/k8s', 'help', { user: 'U0BOB', channel: 'C0OPS' });
    const b = await slack.slashCommand('/k8s', 'help', { user: 'U0BOB', channel: 'C0OPS' });
    expect(a.responseUrl).not.toBe(b.responseUrl);
    expect(a.triggerId).not.toBe(b.triggerId);
  });

  it('shows a plain-text ack as an ephemeral message, and lets the response_url replace it', async () => {
    reply.body = 'Working on it';
    const result = await slack.slashCommand('/k8s', 'whoami', { user: 'U0BOB', channel: 'C0OPS' });
    expect(result.ack).toEqual({ visibility: 'ephemeral', text: 'Working on it', errors: [] });
    await fetch(result.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'You are bob' }),
    });
    expect(emu.ephemerals('U0BOB')).toMatchObject([{ text: 'You are bob', via: 'ack' }]);
  });

  it('posts an in_channel JSON ack to the channel', async () => {
    reply.body = JSON.stringify({ response_type: 'in_channel', text: 'deploy queued' });
    const result = await slack.slashCommand('/k8s', 'deploy web', { user: 'U0BOB', channel: 'C0OPS' });
    expect(result.ack?.visibility).toBe('in_channel');
    expect(emu.messages('C0OPS')).toMatchObject([{ text: 'deploy queued', user: 'U0BOT' }]);
  });

  it('clicks a button in a thread reply with container.thread_ts and the stored message', async () => {
    const root = emu.workspace.post('C0OPS', { text: 'alert' }, { user: 'U0BOT', botId: 'B0BOT' });
    const reply2 = emu.workspace.post(
      'C0OPS',
      { text: 'pod crashed', blocks: BUTTONS },
      { user: 'U0BOT', botId: 'B0BOT', threadTs: root.ts },
    );
    const click = await slack.clickButton({ channel: 'C0OPS', ts: reply2.ts, actionId: 'logs', user: 'U0CAROL' });
    expect(click.payload).toMatchObject({
      container: { type: 'message', message_ts: reply2.ts, thread_ts: root.ts, is_ephemeral: false },
      message: { ts: reply2.ts, text: 'pod crashed', blocks: BUTTONS },
      channel: { id: 'C0OPS', name: 'ops' },
      actions: [
        {
          type: 'button',
          action_id: 'logs',
          block_id: 'b',
          value: 'pod-1',
          text: { type: 'plain_text', text: 'Logs' },
        },
      ],
    });
    expect(click.payload.message).not.toHaveProperty('channel');
    const body = seen.at(-1)?.body ?? '';
    expect(body.startsWith('payload=')).toBe(true);
    expect(JSON.parse(new URLSearchParams(body).get('payload') ?? '')).toEqual(click.payload);
  });

  it('clicks a button in an ephemeral message without a message field', async () => {
    const eph = emu.workspace.addEphemeral({
      channel: 'C0OPS',
      user: 'U0BOB',
      text: 'pick',
      blocks: BUTTONS,
      via: 'chat.postEphemeral',
    });
    const click = await slack.clickButton({
      channel: 'C0OPS',
      ts: eph.ts,
      actionId: 'logs',
      user: 'U0BOB',
      ephemeral: true,
    });
    expect(click.payload).toMatchObject({ container: { is_ephemeral: true } });
    expect(click.payload.message).toBeUndefined();
  });

  it('refuses clicks on messages that are gone or that the user cannot see', async () => {
    const card = emu.workspace.post('C0OPS', { text: 'x', blocks: BUTTONS }, { user: 'U0BOT' });
    await expect(
      slack.clickButton({ channel: 'C0OPS', ts: card.ts, actionId: 'restart', user: 'U0BOB' }),
    ).rejects.toThrow(/no button "restart" \(it has: logs\)/);
    await expect(
      slack.clickButton({ channel: 'C0ALERTS', ts: card.ts, actionId: 'logs', user: 'U0BOB' }),
    ).rejects.toThrow(/not a member of C0ALERTS/);
    emu.workspace.delete('C0OPS', card.ts);
    await expect(slack.clickButton({ channel: 'C0OPS', ts: card.ts, actionId: 'logs', user: 'U0BOB' })).rejects.toThrow(
      /never posted, or deleted/,
    );
    expect(seen).toEqual([]);
  });

  it('reports connection_failed when nothing listens', async () => {
    const nowhere = emu.driver('http://127.0.0.1:1/slack/events');
    await expect(nowhere.slashCommand('/k8s', 'help', { user: 'U0BOB', channel: 'C0OPS' })).resolves.toMatchObject({
      status: 0,
      error: 'connection_failed',
    });
  });
});
