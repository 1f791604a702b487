import { describe, expect, it } from '@jest/globals';

interface Probe {
  readonly version: string;
}

describe('the test runtime', () => {
  it('runs TypeScript on Node 24', () => {
    const probe: Probe = { version: process.versions.node };
    expect(Number(probe.version.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
