// Socket Mode against the real clients: @slack/socket-mode's SocketModeClient (undici WebSocket) and a Bolt App on a
// SocketModeReceiver, both pointed at the emulator only through clientOptions.slackApiUrl.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { connect } from 'node:net';
import { SlackEmulator } from '../../../support/slack-emulator/index.ts';

let emu: SlackEmulator;
const started: Array<{ stop: () => Promise<unknown> }> = [];

beforeEach(async () => {
  emu = await SlackEmulator.start();
});

afterEach(async () => {
  for (const thing of started.splice(0)) await thing.stop();
  await emu.stop();
});

/** For a client whose failure is expected: SocketModeClient logs it at ERROR level. */
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** A client that reconnects quickly (its reconnect delay is clientPingTimeout × failures). */
function socketClient(appToken = emu.appToken): SocketModeClient {
  const client = new SocketModeClient({
    appToken,
    ...(appToken === emu.appToken ? { logLevel: LogLevel.ERROR } : { logger: silent }),
    clientPingTimeout: 300,
    clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } },
  });
  started.push({ stop: () => client.disconnect() });
  return client;
}

async function boltApp(): Promise<App> {
  const receiver = new SocketModeReceiver({
    appToken: emu.appToken,
    logLevel: LogLevel.ERROR,
    clientPingTimeout: 300,
    installerOptions: { clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } } },
  });
  const app = new App({
    token: emu.botToken,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } },
  });
  app.command('/k8s', async ({ command, ack }) => {
    if (command.text === 'help') await ack({ text: 'usage: /k8s <verb>', response_type: 'ephemeral' });
    else await ack();
  });
  app.action('approve', async ({ ack, respond }) => {
    await ack();
    await respond({ text: 'approved', replace_original: true });
  });
  await app.start();
  started.push(app);
  return app;
}

describe('apps.connections.open', () => {
  it('hands an app-level token a single-use ws:// URL on the emulator', async () => {
    const api = new WebClient(emu.appToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    const answer = await api.apps.connections.open();
    expect(answer.ok).toBe(true);
    expect(answer.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\/[0-9a-f]{32}$/);
    expect(emu.callsTo('apps.connections.open')[0]?.token).toBe(emu.appToken);
  });

  it('refuses a bot token with not_allowed_token_type and an unknown one with invalid_auth', async () => {
    const asBot = new WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    await expect(asBot.apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    const asApp = new WebClient(emu.appToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    await expect(asApp.chat.postMessage({ channel: 'C0OPS', text: 'hi' })).rejects.toMatchObject({
      data: { error: 'not_allowed_token_type' },
    });
    await expect(socketClient('xapp-wrong').start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    expect(emu.socket.connectionsOpened).toBe(0);
  });

  it('refuses a WebSocket upgrade on an unknown or already used URL', async () => {
    const api = new WebClient(emu.appToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    const { url } = await api.apps.connections.open();
    const client = socketClient();
    await client.start();
    const path = new URL(url ?? '').pathname;
    const status = (target: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(Number(new URL(emu.url).port), '127.0.0.1', () => {
          socket.write(
            `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
        });
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk.toString('utf8').split('\r\n')[0] ?? '');
          socket.destroy();
        });
      });
    expect(await status('/socket/0123')).toBe('HTTP/1.1 404 Not Found');
    expect(await status(path)).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await status(path)).toBe('HTTP/1.1 404 Not Found');
  });
});

describe('Socket Mode with SocketModeClient', () => {
  it('says hello with the connection count and the app id', async () => {
    const client = socketClient();
    const messages: unknown[] = [];
    client.on('ws_message', (data: unknown) => messages.push(JSON.parse(String(data))));
    await client.start();
    expect(messages[0]).toMatchObject({
      type: 'hello',
      num_connections: 1,
      connection_info: { app_id: 'A0APP' },
      debug_info: { host: 'applink-emulator' },
    });
    expect(emu.socket.openConnections).toBe(1);
  });

  it('delivers a slash command envelope and renders the ack payload like the HTTP ack', async () => {
    const client = socketClient();
    const bodies: Array<Record<string, unknown>> = [];
    client.on(
      'slash_commands',
      ({
        ack,
        body,
        accepts_response_payload,
      }: {
        ack: (r?: object) => Promise<void>;
        body: Record<string, unknown>;
        accepts_response_payload: boolean;
      }) => {
        bodies.push({ ...body, accepts_response_payload });
        void ack({ text: `you said ${String(body['text'])}` });
      },
    );
    await client.start();
    const result = await emu.socketDriver().slashCommand('/k8s', 'status web', { user: 'U0ALICE', channel: 'C0OPS' });
    expect(result).toMatchObject({ acked: true, ackPayload: { text: 'you said status web' } });
    expect(result.ms).toBeLessThan(3000);
    expect(result.ack).toEqual({ visibility: 'ephemeral', text: 'you said status web', errors: [] });
    expect(bodies[0]).toMatchObject({
      command: '/k8s',
      text: 'status web',
      user_id: 'U0ALICE',
      channel_id: 'C0OPS',
      team_id: 'T0001',
      api_app_id: 'A0APP',
      accepts_response_payload: true,
    });
    expect(bodies[0]?.['response_url']).toBe(result.responseUrl);
    expect(emu.ephemerals('U0ALICE').map((m) => [m.text, m.via])).toEqual([['you said status web', 'ack']]);
    expect(emu.socket.history).toHaveLength(1);
  });

  it('times out after 3 s when nobody is connected, and delivers to a client that connects in time', async () => {
    const lonely = await emu
      .socketDriver()
      .slashCommand('/k8s', 'x', { user: 'U0ALICE', channel: 'C0OPS', timeoutMs: 300 });
    expect(lonely).toMatchObject({ acked: false, error: 'operation_timeout', ack: undefined });

    const pending = emu.socketDriver().slashCommand('/k8s', 'later', { user: 'U0ALICE', channel: 'C0OPS' });
    const client = socketClient();
    client.on('slash_commands', ({ ack }: { ack: () => Promise<void> }) => void ack());
    await client.start();
    expect(await pending).toMatchObject({ acked: true, ackPayload: {}, ack: undefined });
  });

  it('answers the client pings and gets pongs to its own, so the connection outlives many ping intervals', async () => {
    await emu.stop();
    emu = await SlackEmulator.start({ socketPingIntervalMs: 100 });
    const client = socketClient();
    await client.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(emu.socket.openConnections).toBe(1);
    expect(emu.socket.connectionsOpened).toBe(1);
    expect(emu.socket.pongsReceived).toBeGreaterThanOrEqual(5);
  });

  it('reconnects after refresh_requested and still gets the next command', async () => {
    const client = socketClient();
    client.on('slash_commands', ({ ack }: { ack: (r?: object) => Promise<void> }) => void ack({ text: 'ok' }));
    await client.start();
    await emu.socket.disconnect('refresh_requested');
    const result = await emu.socketDriver().slashCommand('/k8s', 'after refresh', { user: 'U0BOB', channel: 'C0OPS' });
    expect(result).toMatchObject({ acked: true, ack: { text: 'ok' } });
    expect(emu.socket.connectionsOpened).toBe(2);
    expect(emu.callsTo('apps.connections.open')).toHaveLength(2);
  });
});

describe('Socket Mode with a Bolt App', () => {
  it('acks a command with an ephemeral help text and a bare ack with nothing', async () => {
    await boltApp();
    const socket = emu.socketDriver();
    const help = await socket.slashCommand('/k8s', 'help', { user: 'U0ALICE', channel: 'C0OPS' });
    expect(help.ack).toEqual({ visibility: 'ephemeral', text: 'usage: /k8s <verb>', errors: [] });
    const bare = await socket.slashCommand('/k8s', 'deploy web', { user: 'U0ALICE', channel: 'C0OPS' });
    expect(bare).toMatchObject({ acked: true, ack: undefined });
  });

  it('delivers a click on a stored button as an interactive envelope; respond() replaces the message', async () => {
    const app = await boltApp();
    const posted = await app.client.chat.postMessage({
      channel: 'C0OPS',
      text: 'approve?',
      blocks: [
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'job-1' },
          ],
        },
      ],
    });
    const click = await emu
      .socketDriver()
      .clickButton({ channel: 'C0OPS', ts: posted.ts ?? '', actionId: 'approve', user: 'U0BOB' });
    expect(click).toMatchObject({
      acked: true,
      type: 'interactive',
      payload: { type: 'block_actions', actions: [{ action_id: 'approve', value: 'job-1' }] },
    });
    await emu.waitFor((c) => c.method === 'response_url');
    expect(emu.messages('C0OPS').map((m) => m.text)).toEqual(['approved']);
    expect(emu.blockKitWarnings).toEqual([]);
  });
});
