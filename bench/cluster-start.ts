// Benchmark: how long the test cluster takes to start warm (binaries cached) and
// how much memory it holds once ready. Usage: npm run bench:cluster [-- RUNS]
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, stopCluster, ensureBinaries } from '../test/support/cluster/cluster.ts';

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

async function once(): Promise<{ ms: number; rssMiB: Record<string, number> }> {
  const dir = await mkdtemp(join(tmpdir(), 'coxswain-bench-cluster-'));
  try {
    const t0 = performance.now();
    const state = await startCluster({ dir, log: () => undefined });
    const ms = performance.now() - t0;
    const rssMiB: Record<string, number> = {};
    for (const c of state.components) rssMiB[c.name] = Math.round((await rssKiB(c.pid)) / 1024);
    return { ms, rssMiB };
  } finally {
    await stopCluster(dir, { purge: true });
    await rm(dir, { recursive: true, force: true });
  }
}

const runs = Number(process.argv[2] ?? 5);
ensureBinaries();
const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const times = results.map((r) => r.ms);
const totals = results.map((r) => Object.values(r.rssMiB).reduce((a, b) => a + b, 0));
console.log(
  `cluster warm start to ready (bootstrapped): median ${Math.round(median(times))} ms, min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))} over ${runs} runs`,
);
console.log(
  `RSS when ready: median total ${median(totals)} MiB; last run per component ${JSON.stringify(results.at(-1)?.rssMiB)}`,
);
console.log(`machine: ${execFileSync('nproc').toString().trim()} cores, node ${process.version}`);
