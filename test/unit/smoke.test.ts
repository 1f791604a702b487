import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

interface Probe {
  readonly version: string;
}

describe('the test runtime', () => {
  it("runs TypeScript on the Node line package.json's engines name (the `node` dev dependency's)", () => {
    const probe: Probe = { version: process.versions.node };
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
      devDependencies: { node: string };
    };
    const major = Number(/>=(\d+) </u.exec(manifest.engines.node)?.[1]);
    expect(Number(probe.version.split('.')[0])).toBe(major);
    expect(manifest.devDependencies.node).toMatch(new RegExp(`^\\^${major}\\.`, 'u'));
  });
});
