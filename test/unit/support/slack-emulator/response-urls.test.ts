import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RESPONSE_URL_LIFETIME_MS, SlackEmulator } from '../../../support/slack-emulator/index.ts';
import type { HookSource } from '../../../support/slack-emulator/response-urls.ts';

async function respond(url: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const APPROVAL_BLOCKS = [
  {
    type: 'actions',
    block_id: 'approval',
    elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' } }],
  },
];

describe('SlackEmulator response_url', () => {
  let emu: SlackEmulator;
  let cardTs: string;
  let source: HookSource;

  beforeEach(async () => {
    emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'], clock: { start: Date.UTC(2024, 0, 1) } });
    cardTs = emu.workspace.post(
      'C0OPS',
      { text: 'approve?', blocks: APPROVAL_BLOCKS },
      { user: 'U0BOT', botId: 'B0BOT' },
    ).ts;
    source = { kind: 'channel', channel: 'C0OPS', ts: cardTs };
  });

  afterEach(async () => {
    await emu.stop();
  });

  it('is served by the emulator on 127.0.0.1', () => {
    const url = new URL(emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' }));
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toMatch(/^\/hooks\/commands\/T0001\/\d+\/[0-9a-f]+$/);
  });

  it('posts ephemeral by default and in the channel (in a thread) on request', async () => {
    const url = emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' });
    expect(await respond(url, { text: 'only alice' })).toEqual({ status: 200, body: { ok: true } });
    expect(await respond(url, { response_type: 'in_channel', text: 'everyone', thread_ts: cardTs })).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(emu.ephemerals('U0ALICE')).toMatchObject([{ text: 'only alice', via: 'response_url' }]);
    expect(emu.thread('C0OPS', cardTs).map((m) => m.text)).toEqual(['approve?', 'everyone']);
    expect(emu.callsTo('response_url').map((c) => c.params.response_type)).toEqual([undefined, 'in_channel']);
  });

  it('replaces the source message in place, keeping its ts', async () => {
    const url = emu.responseUrls.issue('actions', { user: 'U0BOB', channel: 'C0OPS', source });
    await respond(url, { replace_original: true, text: 'approved by bob' });
    expect(emu.messages('C0OPS')).toEqual([expect.objectContaining({ ts: cardTs, text: 'approved by bob' })]);
    expect(emu.messages('C0OPS')[0]?.blocks).toBeUndefined();
  });

  it('deletes the source message', async () => {
    const url = emu.responseUrls.issue('actions', { user: 'U0BOB', channel: 'C0OPS', source });
    expect((await respond(url, { delete_original: true })).status).toBe(200);
    expect(emu.messages('C0OPS')).toEqual([]);
  });

  it('replaces an ephemeral source message', async () => {
    const message = emu.workspace.addEphemeral({
      channel: 'C0OPS',
      user: 'U0BOB',
      text: 'pick one',
      via: 'response_url',
    });
    const url = emu.responseUrls.issue('actions', {
      user: 'U0BOB',
      channel: 'C0OPS',
      source: { kind: 'ephemeral', message },
    });
    await respond(url, { replace_original: true, text: 'picked' });
    expect(emu.ephemerals('U0BOB')).toMatchObject([{ ts: message.ts, text: 'picked' }]);
  });

  it('can be used 5 times, then answers used_url', async () => {
    const url = emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' });
    for (let i = 1; i <= 5; i++) expect((await respond(url, { text: `update ${i}` })).status).toBe(200);
    expect(await respond(url, { text: 'sixth' })).toEqual({ status: 404, body: { ok: false, error: 'used_url' } });
    expect(emu.ephemerals('U0ALICE')).toHaveLength(5);
  });

  it('expires after 30 minutes on the emulator clock', async () => {
    const url = emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' });
    emu.clock.advance(RESPONSE_URL_LIFETIME_MS);
    expect((await respond(url, { text: 'just in time' })).status).toBe(200);
    emu.clock.advance(1);
    expect(await respond(url, { text: 'too late' })).toEqual({
      status: 404,
      body: { ok: false, error: 'expired_url' },
    });
  });

  it('validates blocks and refuses unknown URLs', async () => {
    const url = emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' });
    const bad = await respond(url, { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: '' } }] });
    expect(bad).toMatchObject({ status: 400, body: { ok: false, error: 'invalid_blocks' } });
    expect((await respond(`${emu.url}/hooks/commands/T0001/1/nope`, { text: 'x' })).status).toBe(404);
  });

  it('warns when replace_original has no original and posts a new message', async () => {
    const url = emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' });
    await respond(url, { replace_original: true, text: 'hello' });
    expect(emu.blockKitWarnings.map((w) => w.code)).toEqual(['no_original_message']);
    expect(emu.ephemerals('U0ALICE')).toHaveLength(1);
  });

  it('honours scripted faults on response_url posts', async () => {
    emu.faults.next('response_url', { status: 500 });
    const url = emu.responseUrls.issue('commands', { user: 'U0ALICE', channel: 'C0OPS' });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"x"}',
    });
    expect(response.status).toBe(500);
  });
});
