// Redis is not the only lock on the door: the bot reaches it over TLS
// (rediss://, the server's certificate checked against COXSWAIN_REDIS_CA) as an
// ACL user whose keys are its cluster's prefix, against a real redis-server
// started with TLS only and those ACLs. The whole bot works so; the user can
// touch nothing outside the prefix, and without the CA or the password nothing
// connects.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config/load-config.ts';
import { openRedis } from '../../../src/roles/role-kit.ts';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { generateServerCertificate } from '../../support/cluster/certs.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/redis-server.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('redis-acl');
jest.setTimeout(60_000);
const cluster = `acl-${randomBytes(3).toString('hex')}`;
const botPassword = randomBytes(12).toString('hex');
const adminPassword = randomBytes(12).toString('hex');
/** The ACL deploy/components/redis gives the bot (docs/security.md#redis), for this cluster's name. */
const botAcl = `user coxswain on >${botPassword} resetkeys ~coxswain:${cluster}:* ~coxswain:${cluster}.alerts:* resetchannels -@all +@read +@write +@keyspace +@scripting +@transaction +@connection +@fast +@slow -@dangerous +info`;
let redis: PrivateRedis;
let ca: string;
let admin: Redis;
let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;

beforeAll(async () => {
  const certs = await generateServerCertificate(await mkdtemp(join(tmpdir(), 'coxswain-redis-tls-')), 'redis');
  ca = certs.caCert;
  redis = await startPrivateRedis({
    appendOnly: false,
    tls: certs,
    acl: ['user default off', `user admin on >${adminPassword} ~* &* +@all`, botAcl],
  });
  admin = openRedis({
    redisUrl: `rediss://admin@localhost:${redis.port}`,
    redis: { password: adminPassword, ca: await readFile(ca, 'utf8') },
  });
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  bot = await startTestBot({
    emu,
    cluster: ns.cluster,
    clusterName: cluster,
    env: { REDIS_URL: `rediss://coxswain@localhost:${redis.port}`, REDIS_PASSWORD: botPassword, COXSWAIN_REDIS_CA: ca },
  });
  slack = emu.driver(bot.eventsUrl);
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});
afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
  admin?.disconnect();
  await redis?.destroy();
});

const env = (over: Record<string, string>): ReturnType<typeof loadConfig> =>
  loadConfig({ SLACK_SIGNING_SECRET: 'x', SLACK_BOT_TOKEN: 'xoxb-1', ...over });

/** What the server answers a connection made from this configuration: PONG, or the error. */
async function ping(over: Record<string, string>): Promise<string> {
  const connection = openRedis(env(over), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  // The reason comes as an 'error' event; connect() itself only says the connection closed.
  let reason = '';
  connection.on('error', (error: Error) => {
    reason ||= error.message;
  });
  try {
    await connection.connect();
    return await connection.ping();
  } catch (error) {
    return reason || (error instanceof Error ? error.message : String(error));
  } finally {
    connection.disconnect();
  }
}

describe('the bot over TLS as an ACL user', () => {
  it('runs commands, keeps its audit trail and queues alerts under its prefix, and nothing else', async () => {
    const since = emu.calls.length;
    await slack.slashCommand('/k8s', `scale web 2 -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    expect(callText((await waitForJob(emu, 'scale web', { since })).final)).toMatch(/^✅/u);
    const keys = await admin.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    expect(
      keys.filter((k) => !k.startsWith(`coxswain:${cluster}:`) && !k.startsWith(`coxswain:${cluster}.alerts:`)),
    ).toEqual([]);
    expect(await admin.xlen(`coxswain:${cluster}:audit`)).toBeGreaterThan(0);
  });

  it("is limited to its prefix: another cluster's keys are refused", async () => {
    const connection = openRedis(
      env({
        REDIS_URL: `rediss://coxswain@localhost:${redis.port}`,
        REDIS_PASSWORD: botPassword,
        COXSWAIN_REDIS_CA: ca,
      }),
      { maxRetriesPerRequest: 0 },
    );
    try {
      await expect(connection.set('coxswain:other-cluster:approval:x', '{}')).rejects.toThrow(/NOPERM/u);
      await expect(connection.get('coxswain:other-cluster:audit')).rejects.toThrow(/NOPERM/u);
      await expect(connection.call('CONFIG', 'GET', 'dir')).rejects.toThrow(/NOPERM/u);
      await expect(connection.flushall()).rejects.toThrow(/NOPERM/u);
    } finally {
      connection.disconnect();
    }
  });

  it('does not connect without the right password, without TLS, or without the CA', async () => {
    expect(
      await ping({
        REDIS_URL: `rediss://coxswain@localhost:${redis.port}`,
        REDIS_PASSWORD: botPassword,
        COXSWAIN_REDIS_CA: ca,
      }),
    ).toBe('PONG');
    expect(
      await ping({
        REDIS_URL: `rediss://coxswain@localhost:${redis.port}`,
        REDIS_PASSWORD: 'wrong-password',
        COXSWAIN_REDIS_CA: ca,
      }),
    ).toMatch(/WRONGPASS/u);
    expect(await ping({ REDIS_URL: `rediss://localhost:${redis.port}`, COXSWAIN_REDIS_CA: ca })).toMatch(
      /NOAUTH|WRONGPASS|no password/iu,
    );
    expect(await ping({ REDIS_URL: `redis://coxswain@localhost:${redis.port}`, REDIS_PASSWORD: botPassword })).not.toBe(
      'PONG',
    );
    expect(await ping({ REDIS_URL: `rediss://coxswain@localhost:${redis.port}`, REDIS_PASSWORD: botPassword })).toMatch(
      /certificate/iu,
    );
  });

  it('refuses a CA file that is not one, naming the variable', () => {
    expect(() => env({ COXSWAIN_REDIS_CA: '/nonexistent/ca.crt' })).toThrow('COXSWAIN_REDIS_CA cannot be read');
    expect(() => env({ COXSWAIN_REDIS_CA: join(ns.cluster.dir, 'state.json') })).toThrow(
      'COXSWAIN_REDIS_CA is not a PEM certificate file',
    );
  });
});
