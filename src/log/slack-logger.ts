// Bolt and the Web API client log through a Logger of their own, which prints
// plain text to the console: routed here into Coxswain's JSON lines, so every
// line of the process is JSON and passes the same secret redaction.
import { LogLevel, type Logger } from '@slack/web-api';
import type { Log, LogLevel as CoxswainLevel } from './create-logger.ts';

const levels: Readonly<Record<LogLevel, CoxswainLevel>> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

const text = (parts: readonly unknown[]): string =>
  parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');

/** A Slack SDK Logger writing through `log`, its lines tagged with `component`. */
export function slackLogger(log: Log, component: string, level: LogLevel = LogLevel.INFO): Logger {
  let current = level;
  let name = component;
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
  const emit = (at: LogLevel, parts: readonly unknown[]): void => {
    if (order.indexOf(at) >= order.indexOf(current)) log(levels[at], text(parts), { component: name });
  };
  return {
    debug: (...parts: unknown[]) => emit(LogLevel.DEBUG, parts),
    info: (...parts: unknown[]) => emit(LogLevel.INFO, parts),
    warn: (...parts: unknown[]) => emit(LogLevel.WARN, parts),
    error: (...parts: unknown[]) => emit(LogLevel.ERROR, parts),
    setLevel: (next: LogLevel) => {
      current = next;
    },
    getLevel: () => current,
    setName: (next: string) => {
      name = next;
    },
  };
}
