// Redis carries the work but is not the authority. What the bot writes there and
// later acts on — a queued job (who asked, for what, where to answer), an
// approval request (its votes, its plan, whether it is approved) — carries an
// HMAC under a key that only the bot's processes hold; whoever can write to
// Redis but not read the key cannot make the worker act as anyone, nor mark a
// request approved. A seal names its purpose, so a job's seal never passes for
// an approval's, and the key it was made with, so the key can be rotated: the
// previous key is still accepted until a set time, so work sealed before the
// rotation is not lost.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../text/canonical-json.ts';

/** An HMAC over a value: which key (`kid`) and the MAC, base64url. */
export interface Seal {
  readonly kid: string;
  readonly mac: string;
}

/** What checking a seal found. `stale-key`: made with the previous key after its grace ended. */
export type SealCheck = 'valid' | 'missing' | 'wrong' | 'stale-key';

/** Seals values and checks seals. */
export interface Sealer {
  /** The seal of `value` for `purpose` (e.g. 'job', 'approval'), under the current key. */
  seal(purpose: string, value: unknown): Seal;
  check(purpose: string, value: unknown, seal: unknown): SealCheck;
}

/** A previous key, accepted until `untilMs` (ms since the epoch). */
export interface PreviousKey {
  readonly key: string;
  readonly untilMs: number;
}

/** Options of createSealer. */
export interface SealerOptions {
  /** The current key: at least 32 characters, kept in a Secret. */
  readonly key: string;
  readonly previous?: PreviousKey;
  readonly now?: () => number;
}

/** The id of a key: short, stable, and telling nothing about the key. */
export function keyId(key: string): string {
  return createHash('sha256').update(`coxswain seal key id\u0000${key}`).digest('hex').slice(0, 12);
}

function mac(key: string, purpose: string, value: unknown): string {
  return createHmac('sha256', key)
    .update(`${purpose}\u0000${canonicalJson(value)}`)
    .digest('base64url');
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isSeal(value: unknown): value is Seal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Seal).kid === 'string' &&
    typeof (value as Seal).mac === 'string'
  );
}

/** Builds a sealer over the current key and, during a rotation, the previous one. */
export function createSealer(options: SealerOptions): Sealer {
  const now = options.now ?? Date.now;
  const current = { key: options.key, kid: keyId(options.key) };
  const previous = options.previous ? { ...options.previous, kid: keyId(options.previous.key) } : undefined;
  return {
    seal: (purpose, value) => ({ kid: current.kid, mac: mac(current.key, purpose, value) }),
    check: (purpose, value, seal) => {
      if (!isSeal(seal)) return 'missing';
      if (seal.kid === current.kid) return sameMac(seal.mac, mac(current.key, purpose, value)) ? 'valid' : 'wrong';
      if (previous === undefined || seal.kid !== previous.kid || !sameMac(seal.mac, mac(previous.key, purpose, value)))
        return 'wrong';
      return now() <= previous.untilMs ? 'valid' : 'stale-key';
    },
  };
}

/**
 * A key derived from the Slack signing secret, for installs that have not set a seal key of their own: it is as
 * secret as the signing secret (Redis never sees either), though rotating one then rotates the other.
 */
export function derivedSealKey(signingSecret: string): string {
  return Buffer.from(hkdfSync('sha256', signingSecret, 'coxswain', 'coxswain seal key v1', 32)).toString('base64url');
}

/** What a refusal says about a seal that did not check. */
export function describeSealProblem(check: Exclude<SealCheck, 'valid'>): string {
  if (check === 'missing') return 'it carries no seal';
  if (check === 'stale-key') return 'it is sealed with the previous key, whose grace period has ended';
  return 'its seal does not match its content (changed outside Coxswain, or sealed with another key)';
}
