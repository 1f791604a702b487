// What each kind of process loads. A watcher's memory target (bench/RESULTS.md,
// section 4.2) depends on it never loading client-node's generated API (~80 MiB)
// or the gateway's Bolt; a gateway needs no client-node either. Each graph is
// recorded in a child process by a module hook, as the process would load it.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'role-imports-'));
const hook = join(dir, 'hook.mjs');
writeFileSync(
  hook,
  `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const loaded = new Set();
registerHooks({ load(url, context, next) { loaded.add(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.TRACE_OUT, [...loaded].join('\\n')));
`,
);

/** The module URLs a child process loads importing `modules` (paths from the repository's root). */
function graphOf(name: string, modules: readonly string[]): string[] {
  const out = join(dir, `${name}.txt`);
  const script = modules.map((m) => `await import(${JSON.stringify(new URL(m, `file://${root}`).href)});`).join('\n');
  execFileSync(process.execPath, ['--import', hook, '--input-type=module', '-e', script], {
    env: { ...process.env, TRACE_OUT: out },
    stdio: 'ignore',
  });
  return readFileSync(out, 'utf8').split('\n');
}

const clientNodeIndex = /@kubernetes\/client-node\/dist\/index\.js$/u;
const generatedApi = /@kubernetes\/client-node\/dist\/gen\/(apis\/[A-Z]|models\/)/u;
const bolt = /node_modules\/@slack\/bolt\//u;

/** What `coxswain start` loads before any role: main.ts's own imports. */
const startUp = [
  'src/config/load-config.ts',
  'src/roles/start-roles.ts',
  'commands/index.ts',
  'src/log/create-logger.ts',
  'src/policy/load-policy.ts',
  'src/audit/audit-log.ts',
];

describe('the modules each role loads', () => {
  it("a watcher loads neither client-node's API nor Bolt", () => {
    const graph = graphOf('watcher', [...startUp, 'src/roles/watcher-role.ts']);
    expect(graph.length).toBeGreaterThan(100);
    expect(graph.filter((url) => clientNodeIndex.test(url) || generatedApi.test(url) || bolt.test(url))).toEqual([]);
  });

  it('a gateway loads no client-node API', () => {
    const graph = graphOf('gateway', [...startUp, 'src/roles/gateway-role.ts']);
    expect(graph.some((url) => bolt.test(url))).toBe(true);
    expect(graph.filter((url) => clientNodeIndex.test(url) || generatedApi.test(url))).toEqual([]);
  });

  it("a worker's cluster access does load client-node (so the checks above can fail)", () => {
    expect(
      graphOf('worker', [...startUp, 'src/roles/worker-role.ts', 'src/kube/create-kube-api.ts']).some((url) =>
        clientNodeIndex.test(url),
      ),
    ).toBe(true);
  });
});
