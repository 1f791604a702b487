// The bot's own manifests as a cluster would get them: deploy/ rendered by kustomize
// (what `kubectl apply -k` runs) and checked by kube-score. Both binaries are built
// from the Go module proxy into ~/.cache/coxswain/tools by tools/build-tools.sh, once.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { ClusterState } from './cluster/cluster.ts';

/** The repository's root directory. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Paths of the manifest tools' binaries. */
export interface ManifestTools {
  readonly kustomize: string;
  readonly kubeScore: string;
  readonly helm: string;
  /** A directory of the Prometheus Operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule). */
  readonly prometheusCrds: string;
  /** Prometheus' PromQL parser (tools/promql): a JSON array of expressions in, their metric names or errors out. */
  readonly promqlCheck: string;
}

/** What a finished process printed, and how it ended. */
export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args`, feeding `input` on stdin; never throws for a non-zero exit. */
export function runProcess(file: string, args: readonly string[], input = ''): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(input);
  });
}

/**
 * Builds kustomize, kube-score, helm, the Prometheus Operator's CRDs and promql-check if the cache lacks them
 * (minutes, once) and returns their paths.
 */
export async function manifestTools(): Promise<ManifestTools> {
  const result = await runProcess(join(repoRoot, 'test', 'support', 'tools', 'build-tools.sh'), []);
  if (result.code !== 0) throw new Error(`building the manifest tools failed:\n${result.stderr}`);
  const paths = new Map(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ', 2) as [string, string]),
  );
  const kustomize = paths.get('kustomize');
  const kubeScore = paths.get('kube-score');
  const helm = paths.get('helm');
  const prometheusCrds = paths.get('prometheus-operator-crds');
  const promqlCheck = paths.get('promql-check');
  if (!kustomize || !kubeScore || !helm || !prometheusCrds || !promqlCheck)
    throw new Error(`build-tools.sh printed no tool paths:\n${result.stdout}`);
  return { kustomize, kubeScore, helm, prometheusCrds, promqlCheck };
}

/**
 * One way to install the bot: a kustomization directory of the repository, a kustomization composed of them (as the
 * README tells users to write their own), or the Helm chart with one of its ci/ values files.
 */
export interface DeployShape {
  readonly name: string;
  /** A directory relative to the repository root. */
  readonly dir?: string;
  /** Or: resources and components (directories relative to the repository root) of a kustomization of one's own. */
  readonly compose?: { readonly resources: readonly string[]; readonly components: readonly string[] };
  /** Or: charts/coxswain rendered with this values file (relative to the repository root). */
  readonly helmValues?: string;
}

/** The chart, and the Kubernetes version it is rendered for (the test cluster's). */
export const chartDir = 'charts/coxswain';
export const chartKubeVersion = '1.35.4';

/** The chart's ci/ values files, each the same choice as one kustomize shape of deployShapes (by name). */
export const chartShapes: readonly (DeployShape & { readonly sameAs: string })[] = [
  { name: 'chart: all', helmValues: `${chartDir}/ci/all-values.yaml`, sameAs: 'default (kubectl apply -k deploy/)' },
  { name: 'chart: split', helmValues: `${chartDir}/ci/split-values.yaml`, sameAs: 'split roles' },
  { name: 'chart: with Redis', helmValues: `${chartDir}/ci/with-redis-values.yaml`, sameAs: 'with Redis' },
  {
    name: 'chart: split, Redis over TLS',
    helmValues: `${chartDir}/ci/split-redis-tls-values.yaml`,
    sameAs: 'split roles with Redis over TLS',
  },
  { name: 'chart: impersonation', helmValues: `${chartDir}/ci/impersonation-values.yaml`, sameAs: 'impersonation' },
  { name: 'chart: monitoring', helmValues: `${chartDir}/ci/monitoring-values.yaml`, sameAs: 'with monitoring' },
];

/** Every shape deploy/README.md documents. */
export const deployShapes: readonly DeployShape[] = [
  { name: 'default (kubectl apply -k deploy/)', dir: 'deploy' },
  { name: 'split roles', dir: 'deploy/overlays/split' },
  { name: 'with Redis', dir: 'deploy/overlays/with-redis' },
  {
    name: 'split roles with Redis',
    compose: { resources: ['deploy/overlays/split'], components: ['deploy/components/redis'] },
  },
  { name: 'impersonation', dir: 'deploy/overlays/impersonation' },
  {
    name: 'with Redis over TLS',
    compose: { resources: ['deploy/overlays/with-redis'], components: ['deploy/components/redis-tls'] },
  },
  {
    name: 'with monitoring',
    compose: { resources: ['deploy'], components: ['deploy/components/monitoring'] },
  },
  {
    name: 'split roles with Redis over TLS',
    compose: {
      resources: ['deploy/overlays/split'],
      components: ['deploy/components/redis', 'deploy/components/redis-tls'],
    },
  },
];

/** Every rendering the manifest tests check: deploy/'s shapes and the chart's. */
export const allShapes: readonly DeployShape[] = [...deployShapes, ...chartShapes];

/** A rendered shape: kustomize's output and its objects. */
export interface RenderedShape {
  readonly yaml: string;
  readonly objects: readonly KubernetesObject[];
}

async function build(tools: ManifestTools, dir: string): Promise<string> {
  const result = await runProcess(tools.kustomize, ['build', dir]);
  if (result.code !== 0) throw new Error(`kustomize build ${dir} failed:\n${result.stderr}`);
  return result.stdout;
}

async function buildComposed(tools: ManifestTools, compose: NonNullable<DeployShape['compose']>): Promise<string> {
  // kustomize accepts only relative paths to other kustomizations.
  const dir = await mkdtemp(join(tmpdir(), 'coxswain-kustomize-'));
  try {
    const rel = (p: string): string => JSON.stringify(relative(dir, join(repoRoot, p)));
    await writeFile(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `resources: [${compose.resources.map(rel).join(', ')}]`,
        `components: [${compose.components.map(rel).join(', ')}]`,
        '',
      ].join('\n'),
    );
    return await build(tools, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `helm template` of the chart, as `helm install coxswain charts/coxswain -n coxswain -f VALUES` would apply it. */
export async function renderChart(tools: ManifestTools, values: readonly string[] = []): Promise<string> {
  const args = ['template', 'coxswain', join(repoRoot, chartDir), '--namespace', 'coxswain'];
  const files = values.flatMap((v) => ['-f', join(repoRoot, v)]);
  const result = await runProcess(tools.helm, [...args, '--kube-version', chartKubeVersion, ...files]);
  if (result.code !== 0) throw new Error(`helm template with ${values.join(', ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** Renders a shape with kustomize, as `kubectl apply -k` would, or the chart with its values, as Helm would. */
export async function renderShape(tools: ManifestTools, shape: DeployShape): Promise<RenderedShape> {
  const yaml = shape.helmValues
    ? await renderChart(tools, [shape.helmValues])
    : shape.compose
      ? await buildComposed(tools, shape.compose)
      : await build(tools, join(repoRoot, shape.dir ?? ''));
  const objects = parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => Boolean(o?.kind));
  return { yaml, objects };
}

/**
 * Installs the Prometheus Operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule) into the test cluster, as
 * kube-prometheus-stack would, and waits until the API server serves them. Idempotent: test files that need them each
 * call it. kubectl, not client-node: client-node's typed serializer drops the schemas' `x-kubernetes-*` keys.
 */
export async function installPrometheusCrds(tools: ManifestTools, cluster: ClusterState): Promise<void> {
  const kubectl = (...args: string[]): Promise<ProcessResult> =>
    runProcess(join(cluster.binDir, 'kubectl'), ['--kubeconfig', cluster.adminKubeconfig, ...args]);
  const applied = await kubectl('apply', '--server-side', '--field-manager=coxswain-tests', '-f', tools.prometheusCrds);
  if (applied.code !== 0) throw new Error(`applying the Prometheus Operator's CRDs failed:\n${applied.stderr}`);
  const names = ['servicemonitors', 'podmonitors', 'prometheusrules'].map((n) => `crd/${n}.monitoring.coreos.com`);
  const established = await kubectl('wait', '--for=condition=Established', '--timeout=60s', ...names);
  if (established.code !== 0) throw new Error(`the Prometheus Operator's CRDs are not served:\n${established.stderr}`);
}
