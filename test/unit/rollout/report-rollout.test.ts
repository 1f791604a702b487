import { describe, expect, it } from '@jest/globals';
import { formatProgress } from '../../../src/rollout/report-rollout.ts';

describe('formatProgress', () => {
  it('shows updated and available against desired', () => {
    expect(formatProgress({ desired: 3, updated: 2, ready: 2, available: 1, observed: true })).toBe(
      '2/3 updated · 1/3 available',
    );
  });

  it('hides counts the controller has not recomputed for the new spec yet', () => {
    expect(formatProgress({ desired: 2, updated: 2, ready: 2, available: 2, observed: false })).toBe('starting');
  });
});
