// The Helm chart (charts/coxswain), checked with the real helm (v4, built from the Go module proxy by
// test/support/tools/build-tools.sh): it lints strictly with every ci/ values file, its schema refuses a misspelt or
// wrong value naming it, and each ci/ values file renders the same objects as the kustomize shape it stands for,
// apart from the differences listed in `normalize`. Server-side dry-run, hardening and kube-score of every rendering
// are in manifests.test.ts and kube-score.test.ts, which run over the chart's renderings as over deploy/'s.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { chartReadme, copiedFiles } from '../../support/tools/chart-files.ts';
import {
  allShapes,
  chartDir,
  chartKubeVersion,
  chartShapes,
  manifestTools,
  renderChart,
  renderShape,
  repoRoot,
  runProcess,
  type ManifestTools,
  type RenderedShape,
} from '../../support/manifest-tools.ts';

let tools: ManifestTools;
const rendered = new Map<string, RenderedShape>();

beforeAll(async () => {
  tools = await manifestTools();
  for (const shape of allShapes) rendered.set(shape.name, await renderShape(tools, shape));
}, 600_000);

const helm = (...args: string[]): ReturnType<typeof runProcess> => runProcess(tools.helm, args);
/** `helm template` of the chart with extra arguments, whatever comes of it. */
const template = (...args: string[]): ReturnType<typeof runProcess> =>
  helm('template', 'coxswain', join(repoRoot, chartDir), '--kube-version', chartKubeVersion, ...args);

/** Labels Helm charts carry by convention; the chart puts them on metadata only, never in a selector. */
const helmLabels = [
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'helm.sh/chart',
];

/**
 * An object with what may differ between the two renderings taken out, each difference on purpose:
 * - kustomize's generated names carry a hash of their content (coxswain-config-5h2…, coxswain-redis-8hb…), which
 *   rolls the pods on a change; the chart keeps the plain names and rolls them with a `checksum/config` annotation,
 *   and names the bundled Redis's Secret coxswain-redis-bundled (a Secret coxswain-redis of one's own may exist);
 * - the chart adds Helm's labels to every object's metadata;
 * - the policy is compared as YAML, not text (its comments speak of kustomize in one and Helm in the other).
 */
function normalize(object: KubernetesObject): KubernetesObject {
  const text = JSON.stringify(object).replace(/"(coxswain-(?:config|redis))-(?:[a-z0-9]{10}|bundled)"/g, '"$1"');
  const copy = JSON.parse(text) as KubernetesObject & {
    data?: Record<string, string>;
    spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
  };
  for (const label of helmLabels) delete copy.metadata?.labels?.[label];
  const annotations = copy.spec?.template?.metadata?.annotations;
  if (annotations) {
    delete annotations['checksum/config'];
    if (Object.keys(annotations).length === 0) delete copy.spec?.template?.metadata?.annotations;
  }
  if (copy.kind === 'ConfigMap' && copy.data?.['policy.yaml']) {
    copy.data['policy.yaml'] = JSON.stringify(parse(copy.data['policy.yaml']));
  }
  return copy;
}

const key = (o: KubernetesObject): string => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`;
const byKey = (objects: readonly KubernetesObject[]): Map<string, KubernetesObject> =>
  new Map(objects.map(normalize).map((o) => [key(o), o]));

describe('helm lint --strict', () => {
  it.each(['(defaults)', ...chartShapes.map((s) => s.helmValues ?? '')])('passes with %s', async (values) => {
    const files = values === '(defaults)' ? [] : ['-f', join(repoRoot, values)];
    const result = await helm(
      'lint',
      '--strict',
      join(repoRoot, chartDir),
      '--kube-version',
      chartKubeVersion,
      ...files,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });
});

describe('values.schema.json', () => {
  it.each([
    [['--set', 'shap=split'], /shap/],
    [['--set', 'image.tagg=0.2.0'], /tagg/],
    [['--set', 'shape=splitt'], /shape/],
    [['--set', 'all.replicas=-1'], /replicas/],
    [['--set', 'redis.storage=lots'], /storage/],
    [['--set', 'config.COXSWAIN_POLICY=/tmp/p.yaml'], /COXSWAIN_POLICY/],
    [['--set', 'image.digest=sha256:abc'], /digest/],
  ])('refuses %j, naming the field', async (args, field) => {
    const result = await template(...args);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(result.stderr).toMatch(field);
  });

  it('accepts any setting of the README table in config, and the defaults render', async () => {
    const yaml = await renderChart(tools);
    expect(yaml).toContain('kind: Deployment');
    const result = await template('--set', 'config.SLACK_TEAM_ID=T0ACME');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('SLACK_TEAM_ID: "T0ACME"');
  });
});

describe.each(chartShapes.map((s) => [s.name, s.sameAs] as const))('%s', (chartShape, kustomizeShape) => {
  it(`renders the same objects as the kustomize shape "${kustomizeShape}", but the namespace`, () => {
    const chart = byKey(rendered.get(chartShape)?.objects ?? []);
    const kustomize = byKey((rendered.get(kustomizeShape)?.objects ?? []).filter((o) => o.kind !== 'Namespace'));
    expect([...chart.keys()].sort()).toEqual([...kustomize.keys()].sort());
    for (const [name, object] of kustomize) expect({ name, object: chart.get(name) }).toEqual({ name, object });
  });
});

describe('the chart', () => {
  it('does not create the namespace: the README has it made first, with its Pod Security labels', () => {
    for (const shape of chartShapes) {
      expect((rendered.get(shape.name)?.objects ?? []).filter((o) => o.kind === 'Namespace')).toEqual([]);
    }
  });

  it('installs the version of deploy/ (appVersion is the kustomize image tag)', async () => {
    const chart = parse(await readFile(join(repoRoot, chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const base = parseAllDocuments(await readFile(join(repoRoot, 'deploy', 'base', 'kustomization.yaml'), 'utf8'))[0];
    const images = (base?.toJS() as { images: { newTag: string }[] }).images;
    expect(images[0]?.newTag).toBe(chart.appVersion);
  });

  it("has the README that its values' comments generate (npm run chart:generate)", async () => {
    const read = (file: string): Promise<string> => readFile(join(repoRoot, chartDir, file), 'utf8');
    expect(await read('README.md')).toBe(chartReadme(await read('Chart.yaml'), await read('values.yaml')));
  });

  it.each(copiedFiles.map(([source, copy]) => [copy, source]))(
    'carries %s as deploy/ has it (npm run chart:generate)',
    async (copy, source) => {
      const read = (file: string): Promise<string> => readFile(join(repoRoot, file), 'utf8');
      expect(await read(copy)).toBe(await read(source));
    },
  );

  it('says in its notes what to do next: the Slack app, the Secrets, the policy, the write grants', async () => {
    const result = await helm('install', 'coxswain', join(repoRoot, chartDir), '--dry-run=client', '-n', 'team-bots');
    expect(result.code).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    for (const expected of [
      'deploy/slack-app-manifest.yaml',
      'kubectl -n team-bots create secret generic coxswain-slack',
      'kubectl -n team-bots create secret generic coxswain-redis ',
      'coxswain check-policy policy.yaml',
      '--set-file policy=policy.yaml',
      'coxswain rbac policy.yaml --from-cluster --service-account team-bots/coxswain | kubectl apply -f -',
    ]) {
      expect(notes).toContain(expected);
    }
  });
});
