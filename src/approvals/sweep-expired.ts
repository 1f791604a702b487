// Expiry that survives restarts: requests carry their deadline in Redis, and
// every worker sweeps for due ones; the store hands each expired request to
// exactly one sweeper, which says so: its card redrawn ("expired", no buttons),
// and the audit record.
import type { Log } from '../log/create-logger.ts';
import type { ApprovalRequest } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';

/** What one sweep needs. */
export interface SweepOptions {
  readonly store: Pick<ApprovalStore, 'expireDue'>;
  /** Says that a request expired: its card, its audit record. */
  readonly expired: (request: ApprovalRequest) => Promise<void>;
  readonly log: Log;
}

/** Sweeps once: expires what is due and says so for each. Returns how many expired. */
export async function sweepExpired(options: SweepOptions, now = Date.now()): Promise<number> {
  const expired = await options.store.expireDue(now);
  for (const request of expired) {
    options.log('info', 'approval request expired', {
      id: request.id,
      requester: request.requester.userId,
      votes: request.votes.length,
    });
    await options.expired(request);
  }
  return expired.length;
}

/** Options of startExpirySweeper. */
export interface ExpirySweeperOptions {
  /** One sweep (Approvals.expireDue). */
  readonly sweep: () => Promise<number>;
  readonly log: Log;
  /** How often to look. Default 10 s (a card may show "expires 10:30" until 10:30:10). */
  readonly everyMs?: number;
}

/** Sweeps periodically until stopped. */
export function startExpirySweeper(options: ExpirySweeperOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    options
      .sweep()
      .catch((error: unknown) => {
        options.log('warn', 'approval expiry sweep failed', { error: String(error) });
      })
      .finally(() => {
        running = false;
      });
  }, options.everyMs ?? 10_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
