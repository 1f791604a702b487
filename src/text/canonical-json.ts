// The bytes that are hashed must not depend on the order in which a record's
// fields happened to be set, nor on which process wrote it.

type Json = string | number | boolean | null | undefined | readonly Json[] | { readonly [key: string]: Json };

function sortValue(value: Json): Json {
  if (Array.isArray(value)) return (value as readonly Json[]).map(sortValue);
  if (value === null || typeof value !== 'object') return value;
  const object = value as { readonly [key: string]: Json };
  const sorted: Record<string, Json> = {};
  for (const key of Object.keys(object).sort()) {
    if (object[key] !== undefined) sorted[key] = sortValue(object[key]);
  }
  return sorted;
}

/**
 * JSON with object keys sorted at every level, undefined fields left out and no
 * whitespace, so two writers serialize the same record to the same bytes.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortValue(value as Json));
}
