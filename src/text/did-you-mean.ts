// Suggests the name a user probably meant when they mistype one, so a "not
// found" answer can offer the fix instead of sending them to look it up.

/** Options of didYouMean. */
export interface DidYouMeanOptions {
  /**
   * Largest edit distance still worth suggesting. Default: a third of the
   * input's length, at least 1 and at most 3, so short names only match near
   * misses and long names tolerate a couple of typos.
   */
  readonly maxDistance?: number;
}

/**
 * Levenshtein distance between two strings (insert, delete, substitute cost 1),
 * counting a swap of adjacent characters as one edit too ("slwo" → "slow"),
 * since that is the commonest typo.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = cellCost({ a, b, i, j }, { before, previous, current });
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function cellCost(
  at: { a: string; b: string; i: number; j: number },
  rows: { before: number[]; previous: number[]; current: number[] },
): number {
  const { a, b, i, j } = at;
  const substitution = (rows.previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
  const best = Math.min((rows.previous[j] ?? 0) + 1, (rows.current[j - 1] ?? 0) + 1, substitution);
  const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
  return swapped ? Math.min(best, (rows.before[j - 2] ?? 0) + 1) : best;
}

function defaultMaxDistance(input: string): number {
  return Math.min(3, Math.max(1, Math.floor(input.length / 3)));
}

/**
 * The candidate closest to `input` (case-insensitive) within the distance
 * budget, or undefined when none is close enough or the input is itself a
 * candidate. Ties go to the candidate listed first.
 */
export function didYouMean(
  input: string,
  candidates: Iterable<string>,
  options: DidYouMeanOptions = {},
): string | undefined {
  const wanted = input.toLowerCase();
  const budget = options.maxDistance ?? defaultMaxDistance(input);
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    if (name === input) return undefined;
    const distance = editDistance(wanted, name.toLowerCase());
    if (distance <= budget && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
