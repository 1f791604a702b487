import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../../src/text/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['45', 45_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('counts a bare number in the unit given', () => {
    expect(parseDuration('5', 'm')).toBe(300_000);
  });

  it.each(['', 'ten minutes', '1.5h', '-3m', '3 m', '3w'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
