// Lua scripts by their SHA1: Redis keeps every script it has run, so after the first use a
// call sends the script's 40-character digest instead of the script (EVALSHA), and the script
// in full (EVAL) only when Redis answers NOSCRIPT — its first use on that server, or after a
// restart or SCRIPT FLUSH. BullMQ runs its own scripts the same way.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Digests of the scripts seen, by script: each call site's script is a constant, so this stays small. */
const digests = new Map<string, string>();
const maxDigests = 256;

function digestOf(script: string): string {
  const known = digests.get(script);
  if (known !== undefined) return known;
  const digest = createHash('sha1').update(script).digest('hex');
  if (digests.size < maxDigests) digests.set(script, digest);
  return digest;
}

/** Runs `script` with `numKeys` keys first in `args`, as EVAL would, sending the script itself only when needed. */
export async function evalScript(
  redis: Redis,
  script: string,
  numKeys: number,
  ...args: (string | number | Buffer)[]
): Promise<unknown> {
  try {
    return await redis.evalsha(digestOf(script), numKeys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, numKeys, ...args);
  }
}
