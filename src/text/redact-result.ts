// A command's result carries cluster text — a pod's log lines, its waiting
// message, warning events, a rollout's failure reason — on its way to Slack and
// into the job's stored outcome. It is redacted once, whole, as it leaves the
// command: every string, and a log tail as lines (a private key spans several).
import type { CommandResult } from '../results.ts';
import { redactLines, redactSecrets } from './redact-secrets.ts';

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
}

/** The result with every string redacted; a log tail's lines as one text. */
export function redactResult(result: CommandResult): CommandResult {
  if (result.kind === 'logs')
    return {
      ...(redactValue({ ...result, lines: [] }) as CommandResult & { kind: 'logs' }),
      lines: redactLines(result.lines),
    };
  return redactValue(result) as CommandResult;
}
