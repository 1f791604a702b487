// What the image sets for every process it starts: the ENV lines of the Dockerfile's
// runtime (last) stage. The Dockerfile test starts the compiled bot with them, and the
// benchmarks give them to the role processes they start, so both run what ships.
import { readFileSync } from 'node:fs';

/**
 * The runtime stage's `ENV name=value` pairs, in order; throws on a form it does not read (quotes, `ENV name value`).
 */
export function imageEnv(
  dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'),
): Record<string, string> {
  const lines = dockerfile
    .replace(/\\\n/gu, ' ')
    .split('\n')
    .map((line) => line.trim());
  const runtime = lines.slice(lines.findLastIndex((line) => /^FROM\s/iu.test(line)));
  const env: Record<string, string> = {};
  for (const line of runtime.filter((l) => /^ENV\s/iu.test(l))) {
    for (const pair of line.slice(4).trim().split(/\s+/u)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\s$]*)$/u.exec(pair);
      if (!match) throw new Error(`Dockerfile: "${line}": only unquoted ENV name=value pairs are read here`);
      env[match[1]!] = match[2]!;
    }
  }
  return env;
}
