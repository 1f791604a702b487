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

/** A logger writing one redacted JSON object per line. */
export function createLogger(options: LoggerOptions): Log {
  const write = options.write ?? ((line: string) => { process.stdout.write(line); });
  return (level, message, fields = {}) => {
    if (order[level] < order[options.level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...options.base, ...fields });
    write(`${redact(line)}\n`);
  };
}
