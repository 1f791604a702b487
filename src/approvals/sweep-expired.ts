// Expiry that survives restarts: requests carry their deadline in Redis, and
// every worker sweeps for due ones; the store hands each expired request to
// exactly one sweeper, which redraws its card ("expired", no buttons).
import type { Log } from '../log/create-logger.ts';
import type { ApprovalRequest } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';

/** Options of startExpirySweeper. */
export interface ExpirySweeperOptions {
  readonly store: ApprovalStore;
  readonly redraw: (request: ApprovalRequest) => Promise<void>;
  readonly log: Log;
  /** How often to look. Default 10 s (a card may show "expires 10:30" until 10:30:10). */
  readonly everyMs?: number;
}

/** Sweeps once: expires what is due and redraws those cards. Returns how many expired. */
export async function sweepExpired(options: ExpirySweeperOptions, now = Date.now()): Promise<number> {
  const expired = await options.store.expireDue(now);
  for (const request of expired) {
    options.log('info', 'approval request expired', { id: request.id, requester: request.requester.userId, votes: request.votes.length });
    await options.redraw(request);
  }
  return expired.length;
}

/** Sweeps periodically until stopped. */
export function startExpirySweeper(options: ExpirySweeperOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpired(options)
      .catch((error: unknown) => { options.log('warn', 'approval expiry sweep failed', { error: String(error) }); })
      .finally(() => { running = false; });
  }, options.everyMs ?? 10_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
