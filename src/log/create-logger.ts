// JSON lines on stdout, written by pino. Fields under secret-looking keys are
// censored before serialization, and every line passes through redact(), so a
// token that slips into an error message or a field never reaches the log.
import { pino } from 'pino';
import { redactLogText } from '../text/redact-secrets.ts';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** A structured log call. */
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/**
 * Replaces anything that looks like a credential with [redacted]: the log's and
 * the audit trail's redaction. It is the one in src/text/redact-secrets.ts
 * (linear time, lines kept whole up to 64 KiB), exported here because the log's
 * users import it from the log.
 */
export function redact(text: string): string {
  return redactLogText(text);
}

/** Options of createLogger. */
export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go. Default process.stdout. */
  readonly write?: (line: string) => void;
  /** Fields on every line, e.g. { role: 'worker', cluster: 'prod' }. */
  readonly base?: Record<string, unknown>;
}

/** Fields whose value is never logged, whatever it looks like (redaction by key, on top of the patterns). */
const secretKeys =
  /^(?:token|.*_token|.*Token|secret|.*[sS]ecret|password|.*[pP]assword|authorization|cookie|api[_-]?key|credentials?)$/;

/** A copy of `value` with values under secret-looking keys replaced, at any depth (cycles and depth bounded). */
function censorKeys(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null || depth > 8 || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => censorKeys(v, depth + 1, seen));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      secretKeys.test(k) && v !== undefined && v !== null ? '[redacted]' : censorKeys(v, depth + 1, seen),
    ]),
  );
}

/** The same log with `fields` on every line (a request's or a job's id). */
export function withFields<L extends string>(
  log: (level: L, message: string, fields?: Record<string, unknown>) => void,
  fields: Record<string, unknown>,
): (level: L, message: string, fields?: Record<string, unknown>) => void {
  return (level, message, more) => log(level, message, { ...fields, ...more });
}

/**
 * A pino logger writing one redacted JSON object per line: time, level, message, the base fields and the call's fields.
 */
export function createLogger(options: LoggerOptions): Log {
  const write =
    options.write ??
    ((line: string) => {
      process.stdout.write(line);
    });
  const logger = pino(
    {
      level: options.level,
      base: options.base ?? {},
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => censorKeys(object) as Record<string, unknown>,
      },
    },
    { write: (line: string) => write(redact(line)) },
  );
  return (level, message, fields = {}) => {
    logger[level](fields, message);
  };
}
