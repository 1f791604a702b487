import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SlackEmulator } from '../../../support/slack-emulator/index.ts';
import { callApi } from './call-api.ts';

const START = Date.UTC(2024, 0, 1);

describe('SlackEmulator Web API', () => {
  let emu: SlackEmulator;

  beforeEach(async () => {
    emu = await SlackEmulator.start({ clock: { start: START } });
  });

  afterEach(async () => {
    await emu.stop();
  });

  it('listens on 127.0.0.1 and answers auth.test for the bot token', async () => {
    expect(new URL(emu.apiUrl).hostname).toBe('127.0.0.1');
    const { status, body } = await callApi(emu.apiUrl, 'auth.test', {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0001' });
  });

  it('answers auth errors with HTTP 200 and ok:false', async () => {
    expect(await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'hi' }, null)).toEqual({
      status: 200,
      body: { ok: false, error: 'not_authed' },
    });
    expect(
      (await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'hi' }, 'xoxb-nope')).body.error,
    ).toBe('invalid_auth');
  });

  it('refuses unknown methods in strict mode, before looking at the token', async () => {
    expect((await callApi(emu.apiUrl, 'chat.scheduleMessage', {}, null)).body).toEqual({
      ok: false,
      error: 'unknown_method',
    });
  });

  it('accepts unknown methods when not strict', async () => {
    const lax = await SlackEmulator.start({ strict: false });
    try {
      expect((await callApi(lax.apiUrl, 'reactions.add', { name: 'eyes' })).body).toEqual({ ok: true });
    } finally {
      await lax.stop();
    }
  });

  it('applies channel rules: unknown, private, archived, not a member', async () => {
    const errors = await SlackEmulator.start({
      channels: [
        { id: 'C1', name: 'secret', isPrivate: true, members: ['U0ALICE'] },
        { id: 'C2', name: 'old', isArchived: true, members: ['U0BOT'] },
        { id: 'C3', name: 'public', members: ['U0ALICE'] },
      ],
    });
    try {
      const post = async (channel: string): Promise<unknown> =>
        (await callApi(errors.apiUrl, 'chat.postMessage', { channel, text: 'x' })).body.error;
      expect(await post('C404')).toBe('channel_not_found');
      expect(await post('C1')).toBe('channel_not_found');
      expect(await post('C2')).toBe('is_archived');
      expect(await post('C3')).toBe('not_in_channel');
      expect((await callApi(errors.apiUrl, 'conversations.info', { channel: 'C3' })).body).toMatchObject({
        ok: true,
        channel: { id: 'C3', is_member: false },
      });
    } finally {
      await errors.stop();
    }
  });

  it('resolves channel names and requires some content', async () => {
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: '#ops', text: 'hi' })).body).toMatchObject({
      ok: true,
      channel: 'C0OPS',
    });
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS' })).body.error).toBe('no_text');
  });

  it('issues unique, strictly increasing ts values in Slack format', async () => {
    const ts: string[] = [];
    for (let i = 0; i < 3; i++)
      ts.push(String((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: `m${i}` })).body.ts));
    expect(ts).toEqual(['1704067200.000100', '1704067200.000200', '1704067200.000300']);
    emu.clock.advance(5000);
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'later' })).body.ts).toBe(
      '1704067205.000100',
    );
  });

  it('stores replies in threads and counts them on the parent', async () => {
    const parent = String(
      (await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'deploy queued' })).body.ts,
    );
    emu.clock.advance(2000);
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: '1/3 updated', thread_ts: parent });
    emu.clock.advance(2000);
    await callApi(emu.apiUrl, 'chat.postMessage', {
      channel: 'C0OPS',
      text: 'done',
      thread_ts: parent,
      reply_broadcast: 'true',
    });
    const thread = emu.thread('C0OPS', parent);
    expect(thread.map((m) => m.text)).toEqual(['deploy queued', '1/3 updated', 'done']);
    expect(thread[0]).toMatchObject({ reply_count: 2, reply_users: ['U0BOT'], thread_ts: parent });
    expect(thread[1]).toMatchObject({ thread_ts: parent, parent_user_id: 'U0BOT' });
    expect(emu.messages('C0OPS').map((m) => m.text)).toEqual(['deploy queued', 'done']);
    expect(emu.blockKitWarnings).toEqual([]);
  });

  it('flags a thread_ts that is unknown or is itself a reply', async () => {
    const parent = String((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'root' })).body.ts);
    emu.clock.advance(2000);
    const reply = String(
      (await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'r1', thread_ts: parent })).body.ts,
    );
    emu.clock.advance(2000);
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'r2', thread_ts: reply });
    emu.clock.advance(2000);
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'lost', thread_ts: '1.000100' });
    expect(emu.blockKitWarnings.map((w) => w.code)).toEqual(['thread_ts_is_reply', 'thread_parent_unknown']);
    expect(emu.thread('C0OPS', parent).map((m) => m.text)).toEqual(['root', 'r1', 'r2']);
  });

  it('updates in place, keeps blocks when omitted, and refuses foreign or missing messages', async () => {
    const blocks = [{ type: 'section', block_id: 's', text: { type: 'mrkdwn', text: 'queued' } }];
    const ts = String(
      (await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'queued', blocks })).body.ts,
    );
    const updated = (await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts, text: 'running' })).body;
    expect(updated).toMatchObject({ ok: true, channel: 'C0OPS', ts, text: 'running', message: { blocks } });
    await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts, text: 'done', blocks: [] });
    expect(emu.messages('C0OPS')[0]).toMatchObject({ text: 'done', blocks: [], edited: { user: 'U0BOT' } });
    expect((await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.000100', text: 'x' })).body.error).toBe(
      'message_not_found',
    );
    emu.workspace.post('C0OPS', { text: 'human' }, { user: 'U0ALICE' });
    const human = emu.messages('C0OPS').at(-1)?.ts;
    expect((await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: human, text: 'x' })).body.error).toBe(
      'cant_update_message',
    );
    expect((await callApi(emu.apiUrl, 'chat.delete', { channel: 'C0OPS', ts: human })).body.error).toBe(
      'cant_delete_message',
    );
  });

  it('deletes messages and keeps ephemerals per user', async () => {
    const ts = String((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'oops' })).body.ts);
    expect((await callApi(emu.apiUrl, 'chat.delete', { channel: 'C0OPS', ts })).body).toEqual({
      ok: true,
      channel: 'C0OPS',
      ts,
    });
    expect(emu.messages('C0OPS')).toEqual([]);
    const eph = (await callApi(emu.apiUrl, 'chat.postEphemeral', { channel: 'C0OPS', user: 'U0BOB', text: 'only you' }))
      .body;
    expect(eph).toMatchObject({ ok: true, message_ts: expect.any(String) });
    expect(emu.ephemerals('U0BOB')).toMatchObject([{ channel: 'C0OPS', text: 'only you', via: 'chat.postEphemeral' }]);
    expect(emu.ephemerals('U0ALICE')).toEqual([]);
  });

  it('answers user and user group look-ups', async () => {
    expect((await callApi(emu.apiUrl, 'users.info', { user: 'U0ALICE' })).body).toMatchObject({
      ok: true,
      user: { id: 'U0ALICE', name: 'alice', is_admin: true },
    });
    expect((await callApi(emu.apiUrl, 'users.info', { user: 'U404' })).body.error).toBe('user_not_found');
    expect((await callApi(emu.apiUrl, 'usergroups.users.list', { usergroup: 'S0ADMINS' })).body).toEqual({
      ok: true,
      users: ['U0ALICE'],
    });
    expect((await callApi(emu.apiUrl, 'usergroups.users.list', { usergroup: 'S404' })).body.error).toBe(
      'no_such_subteam',
    );
  });

  it('opens a DM when posting to a user ID, and serves GET with a token parameter', async () => {
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'U0BOB', text: 'psst' })).body).toMatchObject({
      ok: true,
      channel: 'D0BOB',
    });
    expect((await callApi(emu.apiUrl, 'conversations.open', { users: 'U0BOB' })).body).toEqual({
      ok: true,
      channel: { id: 'D0BOB' },
    });
    expect(emu.messages('D0BOB').map((m) => m.text)).toEqual(['psst']);
    const viaGet = await fetch(`${emu.apiUrl}conversations.info?channel=D0BOB&token=xoxb-test`);
    expect(await viaGet.json()).toMatchObject({ ok: true, channel: { id: 'D0BOB', is_im: true, user: 'U0BOB' } });
  });

  it('accepts JSON bodies with a Bearer token', async () => {
    const response = await fetch(`${emu.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-test' },
      body: JSON.stringify({ channel: 'C0OPS', text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, message: { text: 'json', blocks: [{ type: 'divider' }] } });
    expect(emu.callsTo('chat.postMessage')[0]?.params).toMatchObject({ channel: 'C0OPS', text: 'json' });
  });

  it('answers invalid_blocks exactly as Slack does', async () => {
    const { status, body } = await callApi(emu.apiUrl, 'chat.postMessage', {
      channel: 'C0OPS',
      text: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: [
        'failed to match all allowed schemas [json-pointer:/blocks/0/text]',
        'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
      ],
      response_metadata: {
        messages: [
          '[ERROR] failed to match all allowed schemas [json-pointer:/blocks/0/text]',
          '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
        ],
      },
    });
    expect(
      (await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'x', blocks: '[{' })).body.error,
    ).toBe('invalid_blocks_format');
  });

  it('fills in block_id and action_id where the bot left them out', async () => {
    const { body } = await callApi(emu.apiUrl, 'chat.postMessage', {
      channel: 'C0OPS',
      text: 'x',
      blocks: [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Go' } }] }],
    });
    expect(body.message?.blocks).toEqual([
      {
        type: 'actions',
        block_id: expect.any(String),
        elements: [expect.objectContaining({ action_id: expect.any(String) })],
      },
    ]);
  });

  it('records warnings Slack would not reject', async () => {
    await callApi(emu.apiUrl, 'chat.postMessage', {
      channel: 'C0OPS',
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'a',
              text: { type: 'plain_text', text: 'Roll back to the previous revision now' },
            },
          ],
        },
      ],
    });
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'z'.repeat(4001) });
    expect(emu.blockKitWarnings.map((w) => w.code)).toEqual([
      'missing_text',
      'button_text_truncated',
      'text_too_long',
      'channel_rate',
    ]);
    expect(emu.blockKitWarnings[3]).toMatchObject({ method: 'chat.postMessage', channel: 'C0OPS' });
  });

  it('lets a test allow a warning code', async () => {
    const bursty = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
    try {
      await callApi(bursty.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'a' });
      await callApi(bursty.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'b' });
      expect(bursty.blockKitWarnings).toEqual([]);
    } finally {
      await bursty.stop();
    }
  });

  it('records every call with its result and clock time', async () => {
    await callApi(emu.apiUrl, 'auth.test', {});
    expect(emu.calls).toEqual([
      expect.objectContaining({
        method: 'auth.test',
        token: 'xoxb-test',
        status: 200,
        time: START,
        result: expect.objectContaining({ ok: true }),
      }),
    ]);
  });

  it('waitFor resolves on a later matching call without polling', async () => {
    const waiting = emu.waitFor((c) => c.method === 'chat.postMessage' && c.params.text === 'second', {
      since: emu.calls.length,
    });
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'first' });
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'second' });
    expect((await waiting).result.ok).toBe(true);
  });

  it('waitFor rejects with the recent calls listed', async () => {
    await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C404', text: 'x' });
    await expect(emu.waitFor((c) => c.method === 'chat.update', { timeoutMs: 50 })).rejects.toThrow(
      /no matching Slack call within 50 ms[\s\S]*chat\.postMessage channel=C404 → 200 error=channel_not_found/,
    );
  });
});
