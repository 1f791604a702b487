// A second opinion on deploy/ and the chart from a third-party scanner: kube-score (built from the
// Go module proxy, see test/support/tools/build-tools.sh) scores every documented
// shape and every chart rendering, and must find nothing CRITICAL and nothing WARNING.
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  allShapes,
  manifestTools,
  renderShape,
  runProcess,
  type ManifestTools,
  type RenderedShape,
} from '../../support/manifest-tools.ts';

/**
 * Checks switched off, each for a reason (kube-score --ignore-test).
 * - container-image-pull-policy wants `Always`. The bot's and Redis's tags are pinned
 *   (kustomize `images:`), so Always would re-check an unchanging tag and make every
 *   pod restart depend on the registry being reachable; the check's point, re-checking
 *   imagePullSecrets on shared nodes, does not apply to public images. Users who
 *   mirror into a private registry can patch it in.
 */
const ignored = ['container-image-pull-policy'];

/** Optional checks kube-score leaves off by default that the manifests meet anyway. */
const optional = ['container-ports-check', 'container-seccomp-profile'];

const scoreArgs = [
  'score',
  '--output-format',
  'ci',
  ...ignored.flatMap((t) => ['--ignore-test', t]),
  ...optional.flatMap((t) => ['--enable-optional-test', t]),
  '-',
];

let tools: ManifestTools;
const rendered = new Map<string, RenderedShape>();

beforeAll(async () => {
  tools = await manifestTools();
  for (const shape of allShapes) rendered.set(shape.name, await renderShape(tools, shape));
}, 300_000);

async function score(yaml: string): Promise<{ code: number | null; findings: string[]; passed: number }> {
  const result = await runProcess(tools.kubeScore, scoreArgs, yaml);
  const lines = result.stdout.split('\n');
  return {
    code: result.code,
    findings: lines.filter((l) => /^\[(CRITICAL|WARNING)\]/.test(l)),
    passed: lines.filter((l) => l.startsWith('[OK]')).length,
  };
}

describe('kube-score', () => {
  it.each(allShapes.map((s) => [s.name]))('finds nothing critical or worth a warning in %s', async (name) => {
    const result = await score(rendered.get(name)?.yaml ?? '');
    expect(result.findings).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.passed).toBeGreaterThan(30);
  });

  it('does flag a careless Deployment, so its silence above means something', async () => {
    const careless = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: careless, namespace: coxswain }',
      'spec:',
      '  selector: { matchLabels: { app: careless } }',
      '  template:',
      '    metadata: { labels: { app: careless } }',
      '    spec: { containers: [{ name: app, image: "example/app:latest" }] }',
      '',
    ].join('\n');
    const result = await score(careless);
    expect(result.code).not.toBe(0);
    expect(result.findings.join('\n')).toMatch(
      /\[CRITICAL\].*(Image with latest tag|CPU limit is not set|readOnlyRootFilesystem)/,
    );
  });
});
