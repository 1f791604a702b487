// /k8s audit's grammar and answer, with a fake trail.
import { describe, expect, it } from '@jest/globals';
import { createRegistry } from '../../../commands/index.ts';
import type { AuditFilter } from '../../../src/audit/audit-filter.ts';
import type { AuditPage } from '../../../src/audit/audit-log.ts';
import { parseCommand, ParseError } from '../../../src/parse/parse-command.ts';
import type { GatewayContext } from '../../../src/registry/command-spec.ts';

const limits = { defaultNamespace: 'default' };
const parse = (text: string): Record<string, unknown> => parseCommand(createRegistry(), text, limits).args;

function context(page: AuditPage, asked: AuditFilter[]): GatewayContext {
  return {
    actor: { userId: 'U0AUDITOR', userName: 'a', teamId: 'T1', channelId: 'C0OPS' },
    cluster: 'prod',
    commands: [],
    access: { roles: [], groups: [], decide: () => ({ allowed: true, rule: 'x' }), source: 'test' },
    audit: {
      query: async (filter) => {
        asked.push(filter);
        return page;
      },
      record: async () => undefined,
    },
    approvals: { vote: async () => 'unused' },
    holds: {
      take: async () => {
        throw new Error('unused');
      },
      release: async () => ({ kind: 'not_held' }),
      break: async () => undefined,
    },
  };
}

describe('/k8s audit', () => {
  it.each([
    ['audit', { since: '24h', limit: 20 }],
    ['audit --user <@U0ALICE>', { user: 'U0ALICE' }],
    [
      'audit --user <@U0ALICE|alice> --since 7d --verb deploy --limit 100',
      { user: 'U0ALICE', since: '7d', verb: 'deploy', limit: 100 },
    ],
    ['audit --user W0ENTERPRISE --since 30m', { user: 'W0ENTERPRISE', since: '30m' }],
  ])('parses %s', (text, expected) => {
    expect(parse(text)).toMatchObject(expected);
  });

  it.each([
    ['audit --user alice', '--user: mention the person'],
    ['audit --since 91d', '--since: is at most 90d'],
    ['audit --since 30s', '--since: is a duration such as 30m, 24h or 7d'],
    ['audit --limit 0', 'limit is at least 1'],
    ['audit --limit 101', 'limit is at most 100'],
    ['audit --verb fly', 'the verb is one of'],
  ])('refuses %s', (text, message) => {
    expect(() => parse(text)).toThrow(ParseError);
    expect(() => parse(text)).toThrow(message);
  });

  it('asks the trail for the filter, newest first, and renders a bounded table', async () => {
    const parsed = parseCommand(createRegistry(), 'audit --user <@U0ALICE> --since 1h --limit 5', limits);
    if (parsed.command.runsIn !== 'gateway') throw new Error('audit runs at the gateway');
    const asked: AuditFilter[] = [];
    const records = [
      {
        id: '2-0',
        record: {
          v: 1 as const,
          seq: 2,
          time: '2030-01-02T10:00:05.000Z',
          cluster: 'prod',
          kind: 'job.finished' as const,
          user: 'U0ALICE',
          description: 'scale web to 2 in staging',
          outcome: 'succeeded' as const,
          durationMs: 4200,
          jobId: 'slack-0123456789',
        },
      },
      {
        id: '1-0',
        record: {
          v: 1 as const,
          seq: 1,
          time: '2030-01-02T10:00:00.000Z',
          cluster: 'prod',
          kind: 'request.denied' as const,
          user: 'U0ALICE',
          text: 'deploy web x:1 -n prod',
          decision: 'denied' as const,
          reason: 'You may not deploy web in prod.',
        },
      },
    ];
    const result = await parsed.command.run(parsed.args, context({ records, scanLimited: false }, asked));
    expect(asked[0]).toMatchObject({ user: 'U0ALICE', limit: 5 });
    expect(Date.now() - (asked[0]?.sinceMs ?? 0)).toBeGreaterThanOrEqual(3_600_000);
    expect(result).toMatchObject({
      kind: 'table',
      omitted: 0,
      rows: [
        ['01-02 10:00:05', 'U0ALICE', 'job.finished', 'scale web to 2 in staging', '✅ succeeded 4.2s', '01234567'],
        [
          '01-02 10:00:00',
          'U0ALICE',
          'request.denied',
          'deploy web x:1 -n prod',
          'denied: You may not deploy web in prod.',
          '-',
        ],
      ],
    });
  });

  it('says so when nothing matches', async () => {
    const parsed = parseCommand(createRegistry(), 'audit --verb undo', limits);
    if (parsed.command.runsIn !== 'gateway') throw new Error('audit runs at the gateway');
    const result = await parsed.command.run(parsed.args, context({ records: [], scanLimited: false }, []));
    expect(result).toMatchObject({ kind: 'text', text: expect.stringContaining('No audit records verb undo') });
  });
});
