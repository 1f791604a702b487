import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import type { Logger } from '@slack/web-api';
import { SlackEmulator } from '../../../support/slack-emulator/index.ts';

/** Collects WebClient's log lines so the tests stay quiet and can assert on what it warned about. */
function collectingLogger(lines: string[]): Logger {
  const push = (...msgs: unknown[]): void => {
    lines.push(msgs.map(String).join(' '));
  };
  return {
    debug: () => undefined,
    info: push,
    warn: push,
    error: push,
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}

describe('a real @slack/web-api WebClient against the emulator', () => {
  let emu: SlackEmulator;
  let client: WebClient;
  const logs: string[] = [];

  beforeAll(async () => {
    emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
    client = new WebClient('xoxb-test', {
      slackApiUrl: emu.apiUrl,
      retryConfig: { retries: 0 },
      logger: collectingLogger(logs),
    });
  });

  afterAll(async () => {
    await emu.stop();
  });

  it('authenticates with the bot token', async () => {
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT' });
    expect(emu.calls.at(-1)?.headers.authorization).toBe('Bearer xoxb-test');
    expect(emu.calls.at(-1)?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('posts blocks, replies in a thread and updates the message', async () => {
    const blocks = [
      { type: 'section', block_id: 'status', text: { type: 'mrkdwn', text: '*deploy* checkout · queued' } },
      {
        type: 'actions',
        block_id: 'approval',
        elements: [
          {
            type: 'button',
            action_id: 'approve',
            style: 'primary',
            value: 'job-1',
            text: { type: 'plain_text', text: 'Approve' },
          },
        ],
      },
    ];
    const posted = await client.chat.postMessage({ channel: 'C0OPS', text: 'deploy checkout · queued', blocks });
    expect(posted.ok).toBe(true);
    const ts = posted.ts ?? '';
    expect(emu.messages('C0OPS').find((m) => m.ts === ts)?.blocks).toEqual(blocks);
    await client.chat.postMessage({ channel: 'C0OPS', thread_ts: ts, text: '1/3 updated' });
    const updated = await client.chat.update({ channel: 'C0OPS', ts, text: 'deploy checkout · done', blocks: [] });
    expect(updated).toMatchObject({ ok: true, ts, text: 'deploy checkout · done' });
    expect(emu.thread('C0OPS', ts).map((m) => m.text)).toEqual(['deploy checkout · done', '1/3 updated']);
    expect(emu.thread('C0OPS', ts)[0]).toMatchObject({ reply_count: 1, blocks: [] });
  });

  it('sends reply_broadcast and metadata the way the emulator understands', async () => {
    const parent = await client.chat.postMessage({
      channel: 'C0OPS',
      text: 'root',
      metadata: { event_type: 'job', event_payload: { id: 'job-9' } },
    });
    await client.chat.postMessage({
      channel: 'C0OPS',
      text: 'broadcast',
      thread_ts: parent.ts ?? '',
      reply_broadcast: true,
    });
    expect(emu.messages('C0OPS').at(-1)).toMatchObject({ text: 'broadcast', reply_broadcast: true });
    expect(emu.messages('C0OPS').find((m) => m.ts === parent.ts)?.metadata).toEqual({
      event_type: 'job',
      event_payload: { id: 'job-9' },
    });
  });

  it("surfaces invalid_blocks as a WebAPIPlatformError with Slack's details", async () => {
    const error: unknown = await client.chat
      .postMessage({
        channel: 'C0OPS',
        text: 'x',
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    const data = (error as WebAPIPlatformError).data;
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toContain(
      '[ERROR] must be no longer than 150 characters [json-pointer:/blocks/0/text/text]',
    );
    expect(logs).toContain('must be no longer than 150 characters [json-pointer:/blocks/0/text/text]');
  });

  it('maps channel errors, scripted faults and rate limits onto the real error classes', async () => {
    await expect(client.chat.postMessage({ channel: 'C0RANDOM', text: 'x' })).rejects.toMatchObject({
      data: { error: 'not_in_channel' },
    });
    emu.faults.next('chat.update', { status: 500 });
    await expect(client.chat.update({ channel: 'C0OPS', ts: '1.000100', text: 'x' })).rejects.toBeInstanceOf(
      WebAPIHTTPError,
    );
    emu.faults.next('users.info', { dropConnection: true });
    await expect(client.users.info({ user: 'U0BOB' })).rejects.toBeInstanceOf(WebAPIRequestError);
    const strict = new WebClient('xoxb-test', {
      slackApiUrl: emu.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: collectingLogger([]),
    });
    emu.faults.next('chat.postMessage', { status: 429, retryAfter: 3 });
    await expect(strict.chat.postMessage({ channel: 'C0OPS', text: 'x' })).rejects.toBeInstanceOf(
      WebAPIRateLimitedError,
    );
  });

  it('retries a 429 with Retry-After: 0 and succeeds', async () => {
    const retrying = new WebClient('xoxb-test', {
      slackApiUrl: emu.apiUrl,
      retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 10 },
      logger: collectingLogger([]),
    });
    emu.faults.next('chat.postMessage', { status: 429, retryAfter: 0 });
    const mark = emu.calls.length;
    await expect(retrying.chat.postMessage({ channel: 'C0OPS', text: 'eventually' })).resolves.toMatchObject({
      ok: true,
    });
    expect(emu.calls.slice(mark).map((c) => c.status)).toEqual([429, 200]);
  });

  it('looks up users, user groups and conversations', async () => {
    await expect(client.users.info({ user: 'U0ALICE' })).resolves.toMatchObject({ user: { name: 'alice' } });
    await expect(client.usergroups.users.list({ usergroup: 'S0ADMINS' })).resolves.toMatchObject({
      users: ['U0ALICE'],
    });
    await expect(client.conversations.info({ channel: 'C0OPS' })).resolves.toMatchObject({
      channel: { name: 'ops', is_member: true },
    });
    await expect(client.chat.postEphemeral({ channel: 'C0OPS', user: 'U0BOB', text: 'psst' })).resolves.toMatchObject({
      ok: true,
    });
  });
});
