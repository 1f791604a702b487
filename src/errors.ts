import { randomUUID } from 'node:crypto';

/**
 * What kind of failure an AppError is. The code decides whether a job is retried
 * (see `retryable`) and which wording the user sees.
 */
export type ErrorCode =
  | 'bad_input' // the request itself is wrong: fix it and ask again
  | 'not_found'
  | 'forbidden'
  | 'invalid' // the API refused the object (422)
  | 'conflict' // someone else changed it meanwhile (409): retried
  | 'unavailable' // API server, Redis or Slack unreachable, 429, 5xx: retried
  | 'timeout'
  | 'locked' // another job holds the target's lock
  | 'limited' // too many requests from this person or channel: wait and ask again
  | 'rollout_failed'
  | 'internal';

const retryableCodes: ReadonlySet<ErrorCode> = new Set(['conflict', 'unavailable']);

/** Options of AppError. */
export interface AppErrorOptions {
  /** The underlying error, logged but never shown. */
  readonly cause?: unknown;
  /** Overrides the default retry decision of the code. */
  readonly retryable?: boolean;
}

/**
 * The one error type whose message users may see. Anything else that escapes is
 * shown as "internal error, ref <id>" and logged with that id.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly retryable: boolean;

  constructor(code: ErrorCode, userMessage: string, options: AppErrorOptions = {}) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.userMessage = userMessage;
    this.retryable = options.retryable ?? retryableCodes.has(code);
  }
}

/**
 * Any failure as an AppError a user may read. An AppError is itself; anything else is a bug or a surprise, so the
 * user gets a reference instead of its message (which may hold secrets or internals), and `report` logs it under
 * that reference. One wording everywhere: "Something went wrong on our side (internal error, ref gw/3f9a0c1d)".
 */
export function asAppError(error: unknown, refPrefix: string, report: (ref: string, error: unknown) => void): AppError {
  if (error instanceof AppError) return error;
  const ref = `${refPrefix}/${randomUUID().slice(0, 8)}`;
  report(ref, error);
  return new AppError('internal', `Something went wrong on our side (internal error, ref ${ref}).`, {
    retryable: false,
    cause: error,
  });
}

/** The error code of a failed Slack Web API call (`not_in_channel`, `ratelimited`, …), if it is one. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
