import type { ApiResult, Clock, SlackObserver } from './slack-types.ts';
import type { BotIdentity, Workspace } from './workspace.ts';

/** The state a Web API method may read and change. */
export interface SlackState {
  readonly workspace: Workspace;
  readonly observer: SlackObserver;
  readonly clock: Clock;
  readonly strict: boolean;
}

/** One authenticated Web API call. */
export interface MethodContext {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly identity: BotIdentity;
  readonly state: SlackState;
}

/**
 * A Web API method handler: synchronous, returns Slack's body (`{ok:false,error}` for failures, never throws for them).
 * Add one to chat-methods.ts or directory-methods.ts (or through `InProcessSlack.start({ methods })`) when the bot
 * starts using a new method.
 */
export type ApiMethod = (context: MethodContext) => ApiResult;

/** Slack's failure body. */
export function fail(error: string, extra: Record<string, unknown> = {}): ApiResult {
  return { ok: false, error, ...extra };
}

/** A string parameter, or undefined when absent or not a string. */
export function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A boolean parameter as WebClient's form encoding sends it (`"true"`), or as JSON sends it. */
export function flagParam(params: Record<string, unknown>, name: string): boolean {
  const value = params[name];
  return value === true || value === 'true' || value === '1' || value === 1;
}
