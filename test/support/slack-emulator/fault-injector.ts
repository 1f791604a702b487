/** A scripted failure for the next call of a method (§7.6). */
export type Fault =
  | { readonly status: 429; readonly retryAfter: number }
  | { readonly ok: false; readonly error: string }
  | { readonly status: number; readonly body?: string }
  | { readonly dropConnection: true };

/** Matches every method in {@link FaultInjector.next} and {@link FaultInjector.latency}. */
export const ANY_METHOD = '*';

/** Options of {@link FaultInjector.during}. */
export interface OutageOptions {
  /** How long (real time, from now) the fault answers. */
  readonly forMs: number;
  /** Only calls whose params match are answered with the fault (e.g. one thread's `ts`). Default: every call. */
  readonly match?: (params: Readonly<Record<string, unknown>>) => boolean;
}

interface Outage {
  readonly method: string;
  readonly fault: Fault;
  readonly until: number;
  readonly match?: (params: Readonly<Record<string, unknown>>) => boolean;
}

/**
 * Scripted failures (§7.6), so tests can drive the bot's retry, backoff and error paths deterministically. Faults are
 * consumed in order, one per call of the method (`response_url` covers hook posts); latency applies until cleared;
 * an outage ({@link during}) answers every call in its window, as Slack does when it is down or keeps rate limiting.
 */
export class FaultInjector {
  readonly #queued = new Map<string, Fault[]>();
  readonly #latency = new Map<string, number>();
  #outages: Outage[] = [];

  /** Answers the next call of `method` with `fault` instead of running it. Repeat to script several calls. */
  next(method: string, fault: Fault): this {
    const queue = this.#queued.get(method) ?? [];
    queue.push(fault);
    this.#queued.set(method, queue);
    return this;
  }

  /**
   * Answers every call of `method` (`'*'`: any) with `fault` for `options.forMs` of real time, nothing of it run.
   * Scripted `next` faults go first; the earliest-started outage that matches answers.
   */
  during(method: string, fault: Fault, options: OutageOptions): this {
    this.#outages.push({
      method,
      fault,
      until: Date.now() + options.forMs,
      ...(options.match ? { match: options.match } : {}),
    });
    return this;
  }

  /** Delays every answer of `method` by `ms` (real time: it exercises the bot's timeouts); `0` clears it. */
  latency(method: string, ms: number): this {
    if (ms > 0) this.#latency.set(method, ms);
    else this.#latency.delete(method);
    return this;
  }

  /** Removes every scripted fault, outage and latency. */
  clear(): void {
    this.#queued.clear();
    this.#latency.clear();
    this.#outages = [];
  }

  /** Faults still waiting for a call, per method (handy to assert that a scripted fault was actually hit). */
  pending(): Record<string, number> {
    return Object.fromEntries([...this.#queued].map(([method, queue]) => [method, queue.length]));
  }

  /**
   * Takes the fault for this call, if any: the method's own queue first, then the wildcard's, then a running outage.
   */
  take(method: string, params: Readonly<Record<string, unknown>> = {}): Fault | undefined {
    return this.#shift(method) ?? this.#shift(ANY_METHOD) ?? this.#outageFor(method, params);
  }

  /** The latency (ms) to apply to this call. */
  delayFor(method: string): number {
    return this.#latency.get(method) ?? this.#latency.get(ANY_METHOD) ?? 0;
  }

  #outageFor(method: string, params: Readonly<Record<string, unknown>>): Fault | undefined {
    const now = Date.now();
    this.#outages = this.#outages.filter((o) => o.until > now);
    return this.#outages.find((o) => (o.method === method || o.method === ANY_METHOD) && (o.match?.(params) ?? true))
      ?.fault;
  }

  #shift(key: string): Fault | undefined {
    const queue = this.#queued.get(key);
    const fault = queue?.shift();
    if (queue?.length === 0) this.#queued.delete(key);
    return fault;
  }
}
