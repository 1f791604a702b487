import type { RecordedCall } from './slack-types.ts';

/** Called with each call as it is recorded. */
export type CallListener<F> = (call: RecordedCall<F>) => void;

/**
 * Every call the bot made, in order: the console prints them as Slack would show them, and a listener (the tests'
 * `waitFor`) hears of each one as it happens.
 */
export class CallRecorder<F> {
  readonly #calls: RecordedCall<F>[] = [];
  readonly #listeners = new Set<CallListener<F>>();

  /** The calls so far, oldest first. */
  get calls(): readonly RecordedCall<F>[] {
    return this.#calls;
  }

  /** Appends a call and tells the listeners. */
  record(call: RecordedCall<F>): void {
    this.#calls.push(call);
    for (const listener of [...this.#listeners]) listener(call);
  }

  /** Tells `listener` of every call recorded from now on; returns what stops it. */
  onCall(listener: CallListener<F>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
