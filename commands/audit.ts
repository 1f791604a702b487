import { z } from 'zod';
import { parseDuration } from '../src/text/duration.ts';
import type { AuditRecord, StoredAuditRecord } from '../src/audit/audit-record.ts';
import type { AccessSummary } from '../src/policy/authorizer.ts';
import { everything } from '../src/policy/decide.ts';
import { boundedCount } from '../src/parse/arguments.ts';
import { policyVerbs } from '../src/policy/policy-schema.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import type { CommandResult } from '../src/results.ts';

/** Most records one answer lists: enough to investigate, small enough for one Slack message. */
export const maxAuditLimit = 100;
/** Furthest back `--since` reaches; older questions belong to the log archive. */
export const maxAuditDays = 90;

/** A Slack mention as Slack sends it (`<@U123>`, `<@U123|alice>`) or a bare user ID, as the ID. */
const slackUser = z
  .string()
  .transform((s) => /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(s)?.[1] ?? s)
  .pipe(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'mention the person (@name) or give their member ID (U…)'));

const durationMs = (s: string): number => parseDuration(s) ?? 0;

/** `30m`, `24h`, `7d`: how far back to look, from 1 minute to 90 days. Kept as typed, for the answer's wording. */
const sinceDuration = z
  .string()
  .regex(/^\d+[mhd]$/, 'is a duration such as 30m, 24h or 7d')
  .refine((s) => durationMs(s) >= 60_000, 'is at least 1m')
  .refine((s) => durationMs(s) <= maxAuditDays * 86_400_000, `is at most ${maxAuditDays}d`);

const mark = (r: StoredAuditRecord['record']): string =>
  r.outcome === 'succeeded' ? '✅' : r.outcome === 'failed' ? '❌' : '';

/** The decision or the result in a few words: what an auditor scans for. */
function outcomeOf(r: StoredAuditRecord['record']): string {
  if (r.outcome)
    return `${mark(r)} ${r.outcome}${r.durationMs !== undefined ? ` ${(r.durationMs / 1000).toFixed(1)}s` : ''}${r.reason ? `: ${r.reason}` : ''}`.trim();
  if (r.decision === 'allowed') return `allowed${r.rule ? ` by ${r.rule}` : ''}`;
  if (r.decision) return `${r.decision}: ${r.reason ?? ''}`;
  return (
    r.reason ??
    Object.entries(r.detail ?? {})
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ')
  );
}

function row({ record: r }: StoredAuditRecord): string[] {
  return [
    r.time.slice(5, 19).replace('T', ' '),
    r.user ?? '-',
    r.kind,
    r.text ?? r.description ?? r.command ?? '-',
    outcomeOf(r),
    r.jobId ? r.jobId.replace(/^slack-/, '').slice(0, 8) : '-',
  ];
}

function filterWords(a: { user?: string | undefined; verb?: string | undefined; since: string }): string {
  return [a.user ? `by ${a.user}` : '', a.verb ? `verb ${a.verb}` : '', `in the last ${a.since}`]
    .filter(Boolean)
    .join(', ');
}

/**
 * The records this reader may see: those of the namespaces (and deployments) their `audit` rules cover. A record of
 * no namespace (a refused signature, a whoami) is the whole cluster's, so it needs `audit` on every namespace.
 * Undefined when the reader sees the whole trail.
 */
function visibleTo(access: AccessSummary): ((record: AuditRecord) => boolean) | undefined {
  if (access.decide({ verb: 'audit', namespace: everything, deployment: everything }).allowed) return undefined;
  const seen = new Map<string, boolean>();
  return (record) => {
    if (record.namespace === undefined) return false;
    const key = `${record.namespace}/${record.deployment ?? ''}`;
    let allowed = seen.get(key);
    if (allowed === undefined) {
      allowed = access.decide({
        verb: 'audit',
        namespace: record.namespace,
        ...(record.deployment ? { deployment: record.deployment } : {}),
      }).allowed;
      seen.set(key, allowed);
    }
    return allowed;
  };
}

/** /k8s audit: who asked for what, what was refused, what ran and how it ended. Newest first, bounded. */
export const audit = defineCommand({
  name: 'audit',
  summary: 'Show the audit trail: requests, refusals, jobs and results',
  usage: 'audit [--user @person] [--since 24h] [--verb deploy] [--limit 20]',
  examples: ['audit --user U0ALICE --since 24h', 'audit --verb deploy --since 7d --limit 50'],
  positionals: [],
  flags: {
    user: { kind: 'value', description: 'only requests by this person (a mention or a member ID)' },
    since: { kind: 'value', description: `how far back: 30m, 24h, 7d (default 24h, at most ${maxAuditDays}d)` },
    verb: { kind: 'value', description: 'only this policy verb, e.g. deploy' },
    limit: { kind: 'value', description: `most records shown (default 20, at most ${maxAuditLimit})` },
  },
  schema: () =>
    z
      .object({
        user: slackUser.optional(),
        since: sinceDuration.default('24h'),
        verb: z.enum(policyVerbs, { error: `the verb is one of ${policyVerbs.join(', ')}` }).optional(),
        limit: boundedCount('limit', 1, maxAuditLimit).default(20),
      })
      .strict(),
  verb: 'audit',
  runsIn: 'gateway',
  describe: (a) => `audit ${filterWords(a)}`,
  run: async (a, ctx): Promise<CommandResult> => {
    const sinceMs = Date.now() - durationMs(a.since);
    const visible = visibleTo(ctx.access);
    const page = await ctx.audit.query({
      ...(a.user ? { user: a.user } : {}),
      ...(a.verb ? { verb: a.verb } : {}),
      sinceMs,
      limit: a.limit,
      ...(visible ? { visible } : {}),
    });
    const narrowed = visible ? '; only the namespaces your audit rules cover' : '';
    const scope = `${filterWords(a)} (cluster ${ctx.cluster}, times UTC${narrowed})${page.scanLimited ? '; older records were not searched' : ''}`;
    if (page.records.length === 0) return { kind: 'text', title: 'Audit', text: `No audit records ${scope}.` };
    return {
      kind: 'table',
      title: `Audit: ${page.records.length} newest ${scope}`,
      columns: ['TIME', 'USER', 'EVENT', 'REQUEST', 'DECISION / RESULT', 'JOB'],
      rows: page.records.map(row),
      omitted: 0,
    };
  },
});
