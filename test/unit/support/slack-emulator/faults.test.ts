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
    const limited = await fetch(`${emu.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: 'Bearer xoxb-test' }, body: new URLSearchParams({ channel: 'C0OPS', text: 'x' }) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect((await callApi(emu.apiUrl, 'chat.postMessage', { channel: 'C0OPS', text: 'x' })).body.ok).toBe(true);
    expect(emu.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(emu.messages('C0OPS')).toHaveLength(1);
  });

  it('answers scripted platform errors and HTTP failures in order', async () => {
    emu.faults.next('chat.update', { ok: false, error: 'message_not_found' }).next('chat.update', { status: 503 });
    expect(await callApi(emu.apiUrl, 'chat.update', { channel: 'C0OPS', ts: '1.1', text: 'x' })).toEqual({ status: 200, body: { ok: false, error: 'message_not_found' } });
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

  it('delays answers by the configured latency until cleared', async () => {
    emu.faults.latency('auth.test', 150);
    const started = performance.now();
    await callApi(emu.apiUrl, 'auth.test', {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    emu.faults.latency('auth.test', 0);
    expect(emu.faults.delayFor('auth.test')).toBe(0);
  });
});
