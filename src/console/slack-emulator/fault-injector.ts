import type { Fault } from './emulator-types.ts';

/** Matches every method in {@link FaultInjector.next} and {@link FaultInjector.latency}. */
export const ANY_METHOD = '*';

/**
 * Scripted failures (§7.6), so tests can drive the bot's retry, backoff and error paths deterministically. Faults are
 * consumed in order, one per call of the method (`response_url` covers hook posts); latency applies until cleared.
 */
export class FaultInjector {
  readonly #queued = new Map<string, Fault[]>();
  readonly #latency = new Map<string, number>();

  /** Answers the next call of `method` with `fault` instead of running it. Repeat to script several calls. */
  next(method: string, fault: Fault): this {
    const queue = this.#queued.get(method) ?? [];
    queue.push(fault);
    this.#queued.set(method, queue);
    return this;
  }

  /** Delays every answer of `method` by `ms` (real time: it exercises the bot's timeouts); `0` clears it. */
  latency(method: string, ms: number): this {
    if (ms > 0) this.#latency.set(method, ms);
    else this.#latency.delete(method);
    return this;
  }

  /** Removes every scripted fault and latency. */
  clear(): void {
    this.#queued.clear();
    this.#latency.clear();
  }

  /** Faults still waiting for a call, per method (handy to assert that a scripted fault was actually hit). */
  pending(): Record<string, number> {
    return Object.fromEntries([...this.#queued].map(([method, queue]) => [method, queue.length]));
  }

  /** Takes the fault for this call, if any: the method's own queue first, then the wildcard's. */
  take(method: string): Fault | undefined {
    return this.#shift(method) ?? this.#shift(ANY_METHOD);
  }

  /** The latency (ms) to apply to this call. */
  delayFor(method: string): number {
    return this.#latency.get(method) ?? this.#latency.get(ANY_METHOD) ?? 0;
  }

  #shift(key: string): Fault | undefined {
    const queue = this.#queued.get(key);
    const fault = queue?.shift();
    if (queue?.length === 0) this.#queued.delete(key);
    return fault;
  }
}
