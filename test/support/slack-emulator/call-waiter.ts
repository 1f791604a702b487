import { EventEmitter } from 'node:events';
import type { RecordedCall } from '../../../src/console/in-process-slack/slack-types.ts';

/** Options for {@link CallWaiter.waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (real time). Default 5000 ms, well above any healthy bot's latency. */
  readonly timeoutMs?: number;
  /** Only consider calls from this index of `calls` on (e.g. `emu.calls.length` taken before acting). Default 0. */
  readonly since?: number;
}

/** A predicate over recorded calls. */
export type CallPredicate<F = unknown> = (call: RecordedCall<F>) => boolean;

/** Where the calls come from: the in-process Slack's record, and news of each new call. */
export interface CallSource<F> {
  readonly calls: readonly RecordedCall<F>[];
  onCall(listener: (call: RecordedCall<F>) => void): () => void;
}

function describeCall(call: RecordedCall<unknown>): string {
  const channel = typeof call.params.channel === 'string' ? ` channel=${call.params.channel}` : '';
  const ts = typeof call.params.ts === 'string' ? ` ts=${call.params.ts}` : '';
  const outcome = call.result.ok ? 'ok' : `error=${call.result.error ?? '?'}`;
  return `${call.method}${channel}${ts} → ${call.status} ${outcome}`;
}

const RECENT = 10;

/**
 * An event-driven `waitFor` over the recorded calls, so tests synchronise on what the bot did rather than on sleeps.
 */
export class CallWaiter<F> {
  readonly #source: CallSource<F>;
  readonly #events = new EventEmitter();
  readonly #cancels = new Set<(reason: Error) => void>();

  constructor(source: CallSource<F>) {
    this.#source = source;
    source.onCall((call) => this.#events.emit('call', call));
  }

  /**
   * Resolves with the first call (from `since` on) that matches, whether it already happened or happens later;
   * rejects after `timeoutMs` with the recent calls in the message.
   */
  waitFor(predicate: CallPredicate<F>, options: WaitForOptions = {}): Promise<RecordedCall<F>> {
    const found = this.#source.calls.slice(options.since ?? 0).find(predicate);
    if (found) return Promise.resolve(found);
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#events.off('call', onCall);
        this.#cancels.delete(cancel);
      };
      const onCall = (call: RecordedCall<F>): void => {
        if (!predicate(call)) return;
        finish();
        resolve(call);
      };
      const cancel = (reason: Error): void => {
        finish();
        reject(reason);
      };
      const timer = setTimeout(() => cancel(new Error(this.#timeoutMessage(timeoutMs))), timeoutMs);
      this.#events.on('call', onCall);
      this.#cancels.add(cancel);
    });
  }

  /** Rejects every pending waiter (the emulator is stopping). */
  cancelAll(reason: string): void {
    for (const cancel of [...this.#cancels]) cancel(new Error(reason));
  }

  #timeoutMessage(timeoutMs: number): string {
    const calls = this.#source.calls;
    const recent = calls.slice(-RECENT).map((call) => `  ${describeCall(call)}`);
    const listing = recent.length > 0 ? recent.join('\n') : '  (no calls at all)';
    return `waitFor: no matching Slack call within ${timeoutMs} ms; the last ${recent.length} of ${calls.length} calls:\n${listing}`;
  }
}
