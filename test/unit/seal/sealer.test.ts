// The seal: an HMAC per purpose, over canonical JSON, with a rotation window for the previous key.
import { describe, expect, it } from '@jest/globals';
import { createSealer, derivedSealKey, keyId } from '../../../src/seal/sealer.ts';

const key = 'a-key-of-at-least-thirty-two-characters';
const value = { b: 2, a: [1, { y: 'x' }] };

describe('sealer', () => {
  it('checks a seal of the same value and purpose, whatever the order of its keys', () => {
    const sealer = createSealer({ key });
    const seal = sealer.seal('job', value);
    expect(sealer.check('job', { a: [1, { y: 'x' }], b: 2 }, seal)).toBe('valid');
    expect(seal.kid).toBe(keyId(key));
  });

  it.each([
    ['another value', 'job', { ...value, b: 3 }, 'wrong'],
    ['another purpose', 'approval', value, 'wrong'],
  ] as const)('refuses %s', (_what, purpose, other, check) => {
    const sealer = createSealer({ key });
    expect(sealer.check(purpose, other, sealer.seal('job', value))).toBe(check);
  });

  it.each([[undefined], [{}], [{ kid: 1, mac: 'x' }], ['seal']])('calls %j no seal', (seal) => {
    expect(createSealer({ key }).check('job', value, seal)).toBe('missing');
  });

  it('refuses a seal of another key, and of the previous key once its grace has ended', () => {
    const old = createSealer({ key: 'the-previous-key-of-thirty-two-characters' });
    let now = 1000;
    const rotating = createSealer({
      key,
      previous: { key: 'the-previous-key-of-thirty-two-characters', untilMs: 2000 },
      now: () => now,
    });
    expect(createSealer({ key }).check('job', value, old.seal('job', value))).toBe('wrong');
    expect(rotating.check('job', value, old.seal('job', value))).toBe('valid');
    now = 2001;
    expect(rotating.check('job', value, old.seal('job', value))).toBe('stale-key');
  });

  it('derives a stable key from the signing secret that is not the secret', () => {
    expect(derivedSealKey('s')).toBe(derivedSealKey('s'));
    expect(derivedSealKey('s')).not.toBe(derivedSealKey('t'));
    expect(derivedSealKey('s').length).toBeGreaterThanOrEqual(32);
  });
});
