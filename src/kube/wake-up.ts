// Lets an async loop sleep until something changed or a time passed, without
// losing a change that arrived while the loop was busy.

/** A wake-up signal between event callbacks and one waiting loop. */
export interface WakeUp {
  /** Something changed: wake the waiter now, or make its next wait return at once. */
  notify(): void;
  /** Resolves on the next notify (or a pending one) or after `ms`. */
  wait(ms: number): Promise<void>;
}

/** A fresh WakeUp with nothing pending. */
export function createWakeUp(): WakeUp {
  let pending = false;
  let wake: (() => void) | undefined;
  return {
    notify(): void {
      pending = true;
      wake?.();
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wake = undefined;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        wake = done;
      });
    },
  };
}
