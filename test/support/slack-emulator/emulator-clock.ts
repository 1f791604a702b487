import type { Clock } from '../../../src/console/in-process-slack/slack-types.ts';

/** Options for {@link EmulatorClock}. */
export interface EmulatorClockOptions {
  /** Freeze time at this epoch-ms value; it then moves only through `advance`. Default: follow real time. */
  readonly start?: number;
}

/**
 * Time as the emulator sees it, so tests can expire response_urls or age messages without waiting.
 * By default it follows the wall clock plus whatever `advance` added, keeping generated `ts` values realistic.
 */
export class EmulatorClock implements Clock {
  #offset = 0;
  readonly #frozen: number | undefined;

  constructor(options: EmulatorClockOptions = {}) {
    this.#frozen = options.start;
  }

  /** Current emulator time in epoch milliseconds. */
  now(): number {
    return (this.#frozen ?? Date.now()) + this.#offset;
  }

  /** Move time forward; negative values are refused because Slack's time never runs backwards. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`clock.advance(${ms}): time only moves forward`);
    this.#offset += ms;
  }
}
