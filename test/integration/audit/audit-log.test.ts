// The audit trail against a real Redis: writers on several connections racing,
// tampering found at exactly the link it broke, retention that trims without
// breaking the chain (and says so), and a Redis outage that loses no log line.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.ts';
import { auditKeys } from '../../../src/audit/audit-store.ts';
import { chainHash } from '../../../src/audit/chain-hash.ts';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import type { Log } from '../../../src/log/create-logger.ts';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
const clusters: string[] = [];

function connect(): Redis {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  return redis;
}

function newCluster(): string {
  const name = `audit-${randomBytes(4).toString('hex')}`;
  clusters.push(name);
  return name;
}

function open(cluster: string, options: { retention?: number; lines?: string[] } = {}): AuditLog {
  const log: Log = (level, message, fields) => {
    options.lines?.push(JSON.stringify({ level, message, ...fields }));
  };
  return createAuditLog({
    redis: connect(),
    cluster,
    log,
    ...(options.retention ? { retention: options.retention } : {}),
  });
}

async function fill(audit: AuditLog, count: number, user = 'U0ALICE'): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      audit.record({ kind: 'request.queued', user, verb: 'scale', text: `scale web ${i}` }),
    ),
  );
}

/** Rewrites the stream entry by entry (same ids), passing each through `change`: streams cannot be edited in place. */
async function rewrite(
  redis: Redis,
  cluster: string,
  change: (id: string, fields: string[]) => string[] | undefined,
): Promise<void> {
  const { stream } = auditKeys(cluster);
  const entries = await redis.xrange(stream, '-', '+');
  await redis.del(stream);
  for (const [id, fields] of entries) {
    const changed = change(id, fields);
    if (changed) await redis.xadd(stream, id, ...changed);
  }
}

const field = (fields: string[], name: string): string => fields[fields.indexOf(name) + 1] ?? '';

afterEach(async () => {
  const redis = connect();
  for (const cluster of clusters.splice(0)) {
    const keys = auditKeys(cluster);
    await redis.del(keys.stream, keys.head, keys.anchor);
  }
});

afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe('the audit chain in Redis', () => {
  it('stays one valid chain with six writers on six connections racing', async () => {
    const cluster = newCluster();
    const writers = Array.from({ length: 6 }, () => open(cluster));
    await Promise.all(writers.map((w, i) => fill(w, 30, `U0WRITER${i}`)));
    const verdict = await open(cluster).verify();
    expect(verdict).toMatchObject({ ok: true, count: 180 });
    const entries = await connect().xrange(auditKeys(cluster).stream, '-', '+');
    const seqs = entries.map(([, fields]) => (JSON.parse(field(fields, 'record')) as AuditRecord).seq);
    expect(seqs).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
  });

  it("writes a burst in batches: each writer's records in the order asked, one race per batch, not per record", async () => {
    const cluster = newCluster();
    // Every eval the writers send (the append script), counted on their own connections.
    let appends = 0;
    const counted = (): Redis => {
      const redis = connect();
      const evaluate = redis.eval.bind(redis);
      redis.eval = ((...args: Parameters<Redis['eval']>) => {
        appends++;
        return evaluate(...args);
      }) as Redis['eval'];
      return redis;
    };
    const writers = Array.from({ length: 3 }, () =>
      createAuditLog({ redis: counted(), cluster, log: () => undefined }),
    );
    await Promise.all(writers.map((w, i) => fill(w, 200, `U0BURST${i}`)));
    expect(await open(cluster).verify()).toMatchObject({ ok: true, count: 600 });
    const records = (await connect().xrange(auditKeys(cluster).stream, '-', '+')).map(
      ([, fields]) => JSON.parse(field(fields, 'record')) as AuditRecord & { user: string; text: string },
    );
    for (let i = 0; i < 3; i++)
      expect(records.filter((r) => r.user === `U0BURST${i}`).map((r) => r.text)).toEqual(
        Array.from({ length: 200 }, (_, n) => `scale web ${n}`),
      );
    // One per record would be 600 appends and more (each lost race is one more); batches need a few dozen.
    expect(appends).toBeLessThan(100);
  });

  it('finds an edited record at exactly that link, and names it from the command line', async () => {
    const cluster = newCluster();
    await fill(open(cluster), 10);
    const redis = connect();
    const victim = (await redis.xrange(auditKeys(cluster).stream, '-', '+'))[4];
    const [victimId = '', victimFields = []] = victim ?? [];
    const edited = field(victimFields, 'record').replace('U0ALICE', 'U0MALLORY');
    await rewrite(redis, cluster, (id, fields) =>
      id === victimId ? ['record', edited, 'prev', field(fields, 'prev'), 'hash', field(fields, 'hash')] : fields,
    );

    expect(await open(cluster).verify()).toEqual({
      ok: false,
      count: 4,
      broken: {
        id: victimId,
        problem: expect.stringContaining('edited'),
        expected: chainHash(field(victimFields, 'prev'), edited),
        found: field(victimFields, 'hash'),
      },
    });

    const cli = await promisify(execFile)(process.execPath, ['src/main.ts', 'audit', 'verify'], {
      env: { PATH: process.env['PATH'], REDIS_URL: redisUrl, COXSWAIN_CLUSTER: cluster },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`BROKEN at ${victimId}`);
    expect(cli.stderr).toContain(field(victimFields, 'hash'));
  });

  it('finds a deleted record at the entry after it', async () => {
    const cluster = newCluster();
    await fill(open(cluster), 6);
    const redis = connect();
    const entries = await redis.xrange(auditKeys(cluster).stream, '-', '+');
    await redis.xdel(auditKeys(cluster).stream, entries[2]?.[0] ?? '');
    expect(await open(cluster).verify()).toMatchObject({
      ok: false,
      count: 2,
      broken: { id: entries[3]?.[0], expected: field(entries[1]?.[1] ?? [], 'hash') },
    });
  });

  it('reports an intact chain from the command line with exit 0 and the count', async () => {
    const cluster = newCluster();
    await fill(open(cluster), 3);
    const { stdout } = await promisify(execFile)(process.execPath, ['src/main.ts', 'audit', 'verify'], {
      env: { PATH: process.env['PATH'], REDIS_URL: redisUrl, COXSWAIN_CLUSTER: cluster },
    });
    expect(stdout).toContain('intact, 3 records');
  });

  it('trims to the retention, logs and records the trim, and still verifies — with several writers', async () => {
    const cluster = newCluster();
    const lines: string[] = [];
    const writers = [
      open(cluster, { retention: 20, lines }),
      open(cluster, { retention: 20, lines }),
      open(cluster, { retention: 20, lines }),
    ];
    await Promise.all(writers.map((w) => fill(w, 25)));
    const redis = connect();
    // Kept: 19 (1% under the bound) plus at most one trim record per writer that trimmed at the same moment.
    expect(await redis.xlen(auditKeys(cluster).stream)).toBeLessThanOrEqual(19 + writers.length);
    expect(await open(cluster).verify()).toMatchObject({ ok: true, anchoredAt: expect.any(String) });
    const trimmed = lines.filter((l) => l.includes('audit records trimmed (retention)'));
    expect(trimmed.length).toBeGreaterThan(0);
    expect(trimmed[0]).toMatch(
      /"count":\d+,"firstId":"\d+-\d+","lastId":"\d+-\d+","anchorHash":"[0-9a-f]{64}","retention":20/,
    );
    const page = await open(cluster).query({ limit: 100 });
    expect(page.records.some((r) => r.record.kind === 'audit.trimmed')).toBe(true);
  });

  it('answers queries newest first, filtered and bounded', async () => {
    const cluster = newCluster();
    const audit = open(cluster);
    await audit.record({ kind: 'request.denied', user: 'U0BOB', verb: 'deploy', text: 'deploy web x:1' });
    await audit.record({ kind: 'request.queued', user: 'U0ALICE', verb: 'scale', text: 'scale web 2' });
    await audit.record({
      kind: 'job.finished',
      user: 'U0ALICE',
      verb: 'scale',
      outcome: 'succeeded',
      durationMs: 1200,
    });
    await audit.record({ kind: 'request.queued', user: 'U0ALICE', verb: 'deploy', text: 'deploy web x:2' });
    const kinds = async (filter: Parameters<AuditLog['query']>[0]): Promise<string[]> =>
      (await audit.query(filter)).records.map((r) => `${r.record.kind} ${r.record.verb ?? ''}`);
    expect(await kinds({ limit: 10, user: 'U0ALICE' })).toEqual([
      'request.queued deploy',
      'job.finished scale',
      'request.queued scale',
    ]);
    expect(await kinds({ limit: 10, verb: 'deploy' })).toEqual(['request.queued deploy', 'request.denied deploy']);
    expect(await kinds({ limit: 2 })).toEqual(['request.queued deploy', 'job.finished scale']);
    expect(await kinds({ limit: 10, sinceMs: Date.now() + 60_000 })).toEqual([]);
  });

  it('keeps secrets out of records', async () => {
    const cluster = newCluster();
    const audit = open(cluster);
    await audit.record({
      kind: 'request.invalid',
      user: 'U0ALICE',
      text: 'deploy web xoxb-1234-SECRET',
      reason: 'Bearer abc.def.ghi',
    });
    const json = JSON.stringify((await audit.query({ limit: 1 })).records);
    expect(json).not.toContain('SECRET');
    expect(json).not.toContain('abc.def.ghi');
    expect(json).toContain('[redacted]');
  });

  it('never throws when Redis is down, and still writes the log line', async () => {
    const lines: string[] = [];
    const redis = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    connections.push(redis);
    const audit = createAuditLog({
      redis,
      cluster: 'down',
      log: (level, message, fields) => {
        lines.push(JSON.stringify({ level, message, ...fields }));
      },
    });
    await expect(
      audit.record({ kind: 'request.denied', user: 'U0ALICE', text: 'scale web 3' }),
    ).resolves.toBeUndefined();
    expect(lines.find((l) => l.includes('"message":"audit"'))).toContain('scale web 3');
    expect(lines.some((l) => l.includes('audit record not stored in Redis'))).toBe(true);
  });
});
