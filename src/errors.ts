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

/** True for an AppError (also across module copies, by shape). */
export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
