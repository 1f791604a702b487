// JSON lines on stdout. Every line passes through redact(), so a token that
// slips into an error message or a field never reaches the log.

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** A structured log call. */
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const secretPatterns = [
  /xox[abposr]-[A-Za-z0-9-]+/g, // Slack bot/user/app tokens
  /xapp-[A-Za-z0-9-]+/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi,
  /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/g, // JWTs (ServiceAccount tokens)
];

/** Replaces anything that looks like a credential with [redacted]. */
export function redact(text: string): string {
  return secretPatterns.reduce((t, p) => t.replace(p, (_m, prefix?: string) => `${typeof prefix === 'string' ? prefix : ''}[redacted]`), text);
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
const secretKeys = /^(?:token|.*_token|.*Token|secret|.*[sS]ecret|password|.*[pP]assword|authorization|cookie|api[_-]?key|credentials?)$/;

/** JSON.stringify's replacer: values under a secret-looking key become [redacted], at any depth. */
function hideSecretKeys(key: string, value: unknown): unknown {
  return key !== '' && secretKeys.test(key) && value !== undefined && value !== null ? '[redacted]' : value;
}

/** The same log with `fields` on every line (a request's or a job's id). */
export function withFields<L extends string>(log: (level: L, message: string, fields?: Record<string, unknown>) => void, fields: Record<string, unknown>):
  (level: L, message: string, fields?: Record<string, unknown>) => void {
  return (level, message, more) => log(level, message, { ...fields, ...more });
}

/** A logger writing one redacted JSON object per line. */
export function createLogger(options: LoggerOptions): Log {
  const write = options.write ?? ((line: string) => { process.stdout.write(line); });
  return (level, message, fields = {}) => {
    if (order[level] < order[options.level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...options.base, ...fields }, hideSecretKeys);
    write(`${redact(line)}\n`);
  };
}
