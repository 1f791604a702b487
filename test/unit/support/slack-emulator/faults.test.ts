import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { SlackEmulator } from '../../../support/slack-emulator/index.ts';
import { callApi } from './call-api.ts';

describe('SlackEmulator faults', () => {
  let emu: SlackEmulator;

  beforeEach(async () => {
    emu = await SlackEmulator.start();
  });

  afterEach(async () => {
    await emu.stop();
  });

  it('answers a scripted 429 with Retry-After, then behaves normally', async () => {
    emu.faults.next('chat.postMessage', { status: 429, retryAfter: 7 });
    const limited = await fetch(`${emu.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test' },
      body: new URLSearchParams({ channel: 'C0OPS', text: 'x' }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'x' })).body.ok).toBe(true);
    expect(emu.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(emu.messages('C0OPS')).toHaveLength(1);
  });

  it('answers scripted platform errors and HTTP failures in order', async () => {
    emu.faults.next('chat.update', { ok: false, error: 'message_not_found' }).next('chat.update', { status: 503 });
    expect(await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.1', text: 'x' })).toEqual({
      status: 200,
      body: { ok: false, error: 'message_not_found' },
    });
    const failed = await fetch(`${emu.apiUrl}chat.update`, { method: 'POST', body: '' });
    expect(failed.status).toBe(503);
    expect(emu.faults.pending()).toEqual({});
    expect(emu.calls.map((c) => c.fault)).toEqual([{ ok: false, error: 'message_not_found' }, { status: 503 }]);
  });

  it('drops the connection', async () => {
    emu.faults.next('auth.test', { dropConnection: true });
    await expect(fetch(`${emu.apiUrl}auth.test`, { method: 'POST', body: '' })).rejects.toThrow();
    expect(emu.calls[0]).toMatchObject({ method: 'auth.test', status: 0 });
  });

  it('applies a wildcard fault to whichever method comes next', async () => {
    emu.faults.next('*', { ok: false, error: 'fatal_error' });
    expect((await callApi(emu.apiUrl, 'users.info', { user: 'U0BOB' })).body.error).toBe('fatal_error');
  });

  it('answers every call in an outage window, then runs calls again', async () => {
    emu.faults.during('chat.postMessage', { status: 503 }, { forMs: 300 });
    const post = (text: string): Promise<number> =>
      fetch(`${emu.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-test' },
        body: new URLSearchParams({ channel: 'C0OPS', text }),
      }).then((r) => r.status);
    expect([await post('a'), await post('b')]).toEqual([503, 503]);
    expect((await callApi(emu.apiUrl, 'auth.test', {})).body.ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'c' })).body.ok).toBe(true);
    expect(emu.callsTo('chat.postMessage').map((c) => c.status)).toEqual([503, 503, 200]);
    expect(emu.messages('C0OPS').map((m) => m.text)).toEqual(['c']);
  });

  it('limits an outage to the calls it matches, and lets scripted faults go first', async () => {
    emu.faults.during(
      'chat.update',
      { status: 429, retryAfter: 1 },
      { forMs: 10_000, match: (p) => p['ts'] === '1.2' },
    );
    emu.faults.next('chat.update', { ok: false, error: 'fatal_error' });
    expect((await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.2', text: 'x' })).body.error).toBe(
      'fatal_error',
    );
    expect((await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.2', text: 'x' })).status).toBe(429);
    expect((await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.3', text: 'x' })).body.error).toBe(
      'message_not_found',
    );
    emu.faults.clear();
    expect((await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.2', text: 'x' })).body.error).toBe(
      'message_not_found',
    );
  });

  it('delays answers by the configured latency until cleared', async () => {
    emu.faults.latency('auth.test', 150);
    const started = performance.now();
    await callApi(emu.apiUrl, 'auth.test', {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    emu.faults.latency('auth.test', 0);
    expect(emu.faults.delayFor('auth.test')).toBe(0);
  });
});

describe("SlackEmulator enforcing Slack's rate limits", () => {
  const post = (emu: SlackEmulator, channel: string): Promise<number> =>
    fetch(`${emu.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test' },
      body: new URLSearchParams({ channel, text: 'x' }),
    }).then((res) => res.status);

  it('answers 429 to a fourth post in a channel within the second, not to another channel, and again after the pace', async () => {
    const emu = await SlackEmulator.start({ rateLimits: true, allowWarnings: ['channel_rate'] });
    try {
      expect([await post(emu, 'C0OPS'), await post(emu, 'C0OPS'), await post(emu, 'C0OPS')]).toEqual([200, 200, 200]);
      const limited = await fetch(`${emu.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-test' },
        body: new URLSearchParams({ channel: 'C0OPS', text: 'x', thread_ts: '1.1' }),
      });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(await post(emu, 'C0ALERTS')).toBe(200);
      emu.clock.advance(1000);
      expect(await post(emu, 'C0OPS')).toBe(200);
      expect(await post(emu, 'C0OPS')).toBe(429);
      expect(emu.rateLimited).toEqual(new Map([['chat.postMessage', 2]]));
      expect(emu.messages('C0OPS')).toHaveLength(4);
    } finally {
      await emu.stop();
    }
  });

  it('counts chat.update across the workspace: ten at once, then 50 a minute', async () => {
    const emu = await SlackEmulator.start({ rateLimits: true });
    try {
      const ts = String((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'x' })).body['ts']);
      const other = String(
        (await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0ALERTS', text: 'x' })).body['ts'],
      );
      const update = async (channel: string, at: string): Promise<number> =>
        (await callApi(emu.apiUrl, 'chat.update', { channel, ts: at, text: 'y' })).status;
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push(await update(i % 2 ? 'C0OPS' : 'C0ALERTS', i % 2 ? ts : other));
      expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
      expect(await update('C0OPS', ts)).toBe(429);
      emu.clock.advance(1200);
      expect(await update('C0OPS', ts)).toBe(200);
      expect(await update('C0ALERTS', other)).toBe(429);
    } finally {
      await emu.stop();
    }
  });

  it('limits nothing unless asked', async () => {
    const emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push(await post(emu, 'C0OPS'));
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await emu.stop();
    }
  });
});
