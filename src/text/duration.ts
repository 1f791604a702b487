// Durations as people type them (90s, 30m, 2h, 7d, 500ms), in one place: the
// configuration, the policy's expiries, lock --for and audit --since all read
// them, each with its own bounds.

const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration in milliseconds, or undefined when `text` is not one. A bare
 * number counts in `bareUnit` (default seconds).
 */
export function parseDuration(text: string, bareUnit: 'ms' | 's' | 'm' | 'h' | 'd' = 's'): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (unitMs[match[2] ?? bareUnit] ?? 1000);
}
