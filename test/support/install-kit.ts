// Installing the bot as deploy/README.md tells a user to: the README's own commands, run by bash in the repository
// with the test cluster's kubectl (built with the control plane, same release) first on the PATH, and what a user
// would look at afterwards (rollouts, pods, budgets, endpoints, volumes, and what is left after an uninstall).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { ClusterState } from './cluster/cluster.ts';
import { waitUntil } from './cluster/processes.ts';
import { repoRoot, type ProcessResult } from './manifest-tools.ts';

/**
 * Every command deploy/README.md gives: the lines of its ```sh blocks and its `kubectl …`, `helm …` and `npm run …`
 * code spans, without their trailing `# comments`.
 */
export function documentedCommands(readme = join(repoRoot, 'deploy', 'README.md')): string[] {
  const text = readFileSync(readme, 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n'));
  const spans = [...text.matchAll(/`((?:kubectl|npm run|helm) [^`]+)`/g)].map((m) => m[1] ?? '');
  return [...blocks, ...spans]
    .map((line) => line.replace(/\s{2,}#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The one documented command that starts with `prefix`; throws if the README gives none, so docs and tests agree. */
export function documented(prefix: string, commands = documentedCommands()): string {
  const found = commands.find((c) => c === prefix || c.startsWith(`${prefix} `));
  if (!found) throw new Error(`deploy/README.md documents no command starting with: ${prefix}`);
  return found;
}

/** A shell in the repository as a user has it: KUBECONFIG set, the cluster's kubectl and the project's node first. */
export interface UserShell {
  /** Runs `command` with bash (errexit, pipefail); rejects with its output if it fails. */
  run(command: string): Promise<ProcessResult>;
}

export function userShell(cluster: ClusterState, toolDirs: readonly string[] = []): UserShell {
  // A terminal's environment, not npm's: `npm test` passes its settings (npm_config_loglevel…) to children, and an
  // `npm run` inside would then behave unlike the user's.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
  const env = {
    ...inherited,
    KUBECONFIG: cluster.adminKubeconfig,
    PATH: [cluster.binDir, ...toolDirs, join(repoRoot, 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(':'),
    NO_COLOR: '1',
  };
  return {
    run: (command) =>
      new Promise((resolve, reject) => {
        const child = spawn('bash', ['-o', 'errexit', '-o', 'pipefail', '-c', command], { cwd: repoRoot, env });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', reject);
        child.on('close', (code) => {
          const result = { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
          if (code === 0) resolve(result);
          else reject(new Error(`\`${command}\` exited ${String(code)}:\n${result.stdout}${result.stderr}`));
        });
      }),
  };
}

/**
 * What the shell's own tools send: kubectl's rendering of a kustomization (`kubectl kustomize dir`, as `apply -k`),
 * or helm's of the chart (`helm template …`).
 */
export async function renderWith(shell: UserShell, command: string): Promise<k8s.KubernetesObject[]> {
  const { stdout } = await shell.run(command);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as k8s.KubernetesObject | null)
    .filter((o): o is k8s.KubernetesObject => Boolean(o?.kind));
}

/**
 * Every object the API server lists, as `Kind namespace/name`, Events left out (they come and go on their own). What
 * an uninstall must return the cluster to.
 */
export async function clusterObjects(shell: UserShell): Promise<Set<string>> {
  const resources = (await shell.run('kubectl api-resources --verbs=list -o name')).stdout
    .split('\n')
    .filter((r) => r !== '' && r !== 'events' && r !== 'events.events.k8s.io' && r !== 'componentstatuses');
  const { stdout } = await shell.run(`kubectl get ${resources.join(',')} --all-namespaces -o json`);
  const items = (JSON.parse(stdout) as { items: k8s.KubernetesObject[] }).items;
  return new Set(items.map((o) => `${o.kind ?? ''} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`));
}

/** What `after` has that `before` has not, and the reverse. */
export function difference(
  before: ReadonlySet<string>,
  after: ReadonlySet<string>,
): { added: string[]; gone: string[] } {
  return {
    added: [...after].filter((o) => !before.has(o)).sort(),
    gone: [...before].filter((o) => !after.has(o)).sort(),
  };
}

/** Waits until `check` returns no problems; the error names those of the last try. */
export async function settle(what: string, check: () => Promise<string[]>, timeoutMs = 60_000): Promise<void> {
  let problems: string[] = [];
  try {
    await waitUntil(
      async () => {
        problems = await check();
        return problems.length === 0;
      },
      { what, timeoutMs, intervalMs: 500 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}:\n  ${problems.join('\n  ')}`, { cause: error });
  }
}
