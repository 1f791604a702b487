// Summarises a V8 CPU profile (node --cpu-prof): the functions with the most self time, and self time per package or
// source folder, so a benchmark's profile can be read in a terminal.
// Usage: node bench/profile-top.ts FILE.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) {
  console.error('usage: node bench/profile-top.ts FILE.cpuprofile [--top 30]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

/** Where a frame's code lives: a package, a folder of the sources, or V8/Node itself. */
function placeOf(url: string): string {
  if (url === '') return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/u.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith('node:')) return url;
  const src = /\/(src|commands|bench)\/(?:([^/]+)\/)?/u.exec(url);
  return src ? `${src[1]}/${src[2] ?? ''}` : url;
}

const nameOf = (id: number): string => {
  const frame = byId.get(id)?.callFrame;
  return frame
    ? `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`
    : '?';
};
const fns = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, us] of self) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const name = nameOf(id);
  fns.set(name, (fns.get(name) ?? 0) + us);
  places.set(placeOf(frame.url), (places.get(placeOf(frame.url)) ?? 0) + us);
}
// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  if (['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id)?.callFrame.functionName ?? '')) continue;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(nameOf(at));
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
}
const top = Number(values.top);
const show = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title}`);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
show('self time by package or source folder', places);
show('self time by function', fns);
show('inclusive time by function (idle, program and GC left out)', inclusive);
