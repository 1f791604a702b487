// The signature guard in front of Bolt's listener, over a real node:http server:
// refused requests get 401/413 and are recorded (claims marked unverified, no
// body, no secret), a flood is counted into one record, and good requests reach
// the listener with their body intact.
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEntry } from '../../../src/audit/audit-record.ts';
import {
  claimedOrigin,
  guardSignatures,
  type SignatureGuard,
  type SignatureGuardOptions,
} from '../../../src/slack/signature-guard.ts';
import { signSlackRequest } from '../../support/slack-emulator/index.ts';

const secret = 'the-real-signing-secret';
let server: Server | undefined;
let guard: SignatureGuard | undefined;

afterEach(async () => {
  await guard?.close();
  await new Promise((resolve) => {
    if (server) server.close(resolve);
    else resolve(undefined);
  });
  server = undefined;
});

interface Harness {
  url: string;
  audited: AuditEntry[];
  reached: string[];
}

async function start(options: Partial<SignatureGuardOptions> = {}): Promise<Harness> {
  const audited: AuditEntry[] = [];
  const reached: string[] = [];
  guard = guardSignatures({
    signingSecret: secret,
    audit: {
      record: async (e) => {
        audited.push(e);
      },
    },
    log: () => undefined,
    ...options,
  });
  const inner = (req: IncomingMessage & { rawBody?: Buffer }, res: ServerResponse): void => {
    reached.push(`${req.url} ${req.rawBody?.toString() ?? ''}`);
    res.writeHead(200).end('ok');
  };
  server = createServer(guard.wrap(inner));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, audited, reached };
}

const clickBody = (user: string): string =>
  new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: user },
      team: { id: 'T0001' },
      channel: { id: 'C0OPS' },
      actions: [{ action_id: 'approval_approve', value: 'k7m2pq' }],
    }),
  }).toString();

async function post(
  url: string,
  body: string,
  sign: { secret?: string; timestamp?: number; omit?: boolean } = {},
): Promise<number> {
  const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (!sign.omit) {
    headers['X-Slack-Request-Timestamp'] = String(timestamp);
    headers['X-Slack-Signature'] = signSlackRequest({ signingSecret: sign.secret ?? secret, timestamp, body });
  }
  return (await fetch(`${url}/slack/events`, { method: 'POST', headers, body })).status;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('guardSignatures', () => {
  it('passes a request signed with the secret to the listener, body intact', async () => {
    const h = await start();
    expect(await post(h.url, clickBody('U0BOB'))).toBe(200);
    expect(h.reached).toEqual([`/slack/events ${clickBody('U0BOB')}`]);
    expect(h.audited).toEqual([]);
  });

  it.each([
    ['a wrong secret', { secret: 'a-guess' }, 'bad_signature'],
    ['no signature headers', { omit: true }, 'bad_signature'],
    ['a timestamp 10 minutes old', { timestamp: Math.floor(Date.now() / 1000) - 600 }, 'stale'],
  ])('refuses %s with 401 and records who it claims to be, unverified', async (_what, sign, reason) => {
    const h = await start();
    expect(await post(h.url, clickBody('U0BOB'), sign)).toBe(401);
    await settle();
    expect(h.reached).toEqual([]);
    expect(h.audited).toEqual([
      expect.objectContaining({
        kind: 'request.refused',
        decision: 'refused',
        reason,
        detail: {
          verified: false,
          unverifiedUser: 'U0BOB',
          unverifiedTeam: 'T0001',
          unverifiedChannel: 'C0OPS',
          payloadType: 'block_actions',
          action: 'approval_approve',
        },
      }),
    ]);
    expect(h.audited[0]).not.toHaveProperty('user');
    const stored = JSON.stringify(h.audited);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('k7m2pq');
  });

  it('refuses a body over the limit with 413, recorded', async () => {
    const h = await start({ bodyLimit: 1000 });
    expect(await post(h.url, `text=${'a'.repeat(5000)}`)).toBe(413);
    await settle();
    expect(h.audited).toEqual([expect.objectContaining({ kind: 'request.refused', reason: 'body_too_large' })]);
  });

  it('records a flood one by one up to the bound, then one summary with the count', async () => {
    // A window long enough for the 50 requests on a loaded machine (a 300 ms one rolled over mid-flood at load 7).
    const h = await start({ perWindow: 3, windowMs: 4_000 });
    for (let i = 0; i < 50; i++) expect(await post(h.url, clickBody('U0BOB'), { secret: 'guess' })).toBe(401);
    await settle();
    expect(h.audited).toHaveLength(3);
    for (let waited = 0; h.audited.length < 4 && waited < 8_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.audited).toHaveLength(4);
    expect(h.audited[3]).toEqual(
      expect.objectContaining({
        kind: 'request.refused',
        reason: 'flood',
        detail: expect.objectContaining({ suppressed: 47, bad_signature: 47 }),
      }),
    );
  });

  it('leaves other paths and ssl_check to the listener', async () => {
    const h = await start();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(await post(h.url, 'ssl_check=1&token=x', { omit: true })).toBe(200);
    expect(h.audited).toEqual([]);
  });
});

describe('claimedOrigin', () => {
  it("reads a slash command's claims, but never its text", () => {
    const body = new URLSearchParams({
      command: '/k8s',
      text: 'deploy web password=hunter2',
      user_id: 'U0ALICE',
      team_id: 'T0001',
      channel_id: 'C0OPS',
    }).toString();
    expect(claimedOrigin(body, 'application/x-www-form-urlencoded')).toEqual({
      unverifiedUser: 'U0ALICE',
      unverifiedTeam: 'T0001',
      unverifiedChannel: 'C0OPS',
      payloadType: 'slash_command',
      action: '/k8s',
    });
  });

  it('marks anything that is not an ID as invalid, and an unreadable body as such', () => {
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: '<script>' },
        team: { id: 'x'.repeat(5000) },
        actions: [{ action_id: 'a b' }],
      }),
    }).toString();
    expect(claimedOrigin(body, 'application/x-www-form-urlencoded')).toEqual({
      unverifiedUser: 'invalid',
      unverifiedTeam: 'invalid',
      unverifiedChannel: '-',
      payloadType: 'block_actions',
      action: 'invalid',
    });
    expect(claimedOrigin('payload=%7Bnot json', 'application/x-www-form-urlencoded').payloadType).toBe('unreadable');
  });
});
