// Pure: the suggestion offered with "not found" answers.
import { describe, expect, it } from '@jest/globals';
import { didYouMean, editDistance } from '../../../src/text/did-you-mean.ts';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['checkout', 'checkout', 0],
    ['checkout', 'chekout', 1],
    ['web', 'wbe', 1],
    ['slow', 'slwo', 1],
    ['kitten', 'sitting', 3],
    ['abc', 'ca', 3],
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('didYouMean', () => {
  const deployments = ['checkout', 'cart', 'payments', 'web'];

  it('suggests the closest name within a typo or two', () => {
    expect(didYouMean('chekout', deployments)).toBe('checkout');
    expect(didYouMean('paymnets', deployments)).toBe('payments');
  });

  it('ignores case when comparing but returns the name as spelled', () => {
    expect(didYouMean('Checkout', ['checkout'])).toBe('checkout');
  });

  it('suggests nothing when nothing is close, or the input exists', () => {
    expect(didYouMean('inventory', deployments)).toBeUndefined();
    expect(didYouMean('web', deployments)).toBeUndefined();
    expect(didYouMean('x', [])).toBeUndefined();
  });

  it('keeps short names strict: one edit (a swap counts as one) at most', () => {
    expect(didYouMean('wbe', deployments)).toBe('web');
    expect(didYouMean('wev', deployments)).toBe('web');
    expect(didYouMean('ewv', deployments)).toBeUndefined();
  });

  it('honours an explicit budget and prefers the first of equally close names', () => {
    expect(didYouMean('cat', ['cart', 'cast'], { maxDistance: 1 })).toBe('cart');
    expect(didYouMean('inventory', deployments, { maxDistance: 20 })).toBeDefined();
  });
});
