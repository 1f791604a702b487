// followRollout against the test cluster: progress by watch, kubectl's
// completion rule, early failure on hopeless pods with their evidence, timeout.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { createKubeApi } from '../../../src/kube/create-kube-api.ts';
import type { KubeApi } from '../../../src/kube/kube-api.ts';
import type { RolloutProgress } from '../../../src/results.ts';
import { makeDeployment, useTestNamespace, waitForObject } from '../../support/kube.ts';

const ns = useTestNamespace('kube-rollout');
let api: KubeApi;
const change = { changeCause: 'coxswain: @alice (U0ALICE) deploy' };
const ref = (name: string): { namespace: string; name: string } => ({ namespace: ns.name, name });

async function createAndWait(deployment: k8s.V1Deployment): Promise<void> {
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: deployment });
  const name = deployment.metadata?.name ?? '';
  await waitForObject<k8s.V1Deployment>(
    ns.admin,
    `/apis/apps/v1/namespaces/${ns.name}/deployments`,
    (d) => d.metadata?.name === name && d.status?.availableReplicas === d.spec?.replicas,
    { what: `${name} to be available` },
  );
}

beforeAll(async () => {
  // A short grace so hopeless pods fail the rollout within seconds in tests.
  api = createKubeApi({
    kubeconfigPath: ns.cluster.botKubeconfig,
    rollout: {
      rules: {
        crashLoopMinRestarts: 2,
        hopelessReasons: ['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError'],
        graceMs: 1_000,
      },
    },
  });
  await createAndWait(
    makeDeployment('slow', 'ghcr.io/acme/slow:1.0', {
      replicas: 3,
      podAnnotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '300ms' },
    }),
  );
  await createAndWait(
    makeDeployment('crashy', 'ghcr.io/acme/crashy:1.0', {
      replicas: 2,
      podAnnotations: { 'coxswain.test/restart-interval': '300ms' },
    }),
  );
  await createAndWait(makeDeployment('pully', 'ghcr.io/acme/pully:1.0'));
  await createAndWait(makeDeployment('stuck', 'ghcr.io/acme/stuck:1.0'));
});

describe('followRollout', () => {
  it("reports progress as counts change and completes by kubectl's rule", async () => {
    await api.setImage(ref('slow'), { image: 'ghcr.io/acme/slow:1.1', ...change });
    const seen: RolloutProgress[] = [];
    const report = await api.followRollout(ref('slow'), { timeoutMs: 30_000, onProgress: (p) => seen.push(p) });
    expect(report).toMatchObject({
      outcome: 'complete',
      progress: { desired: 3, updated: 3, available: 3, observed: true },
      failingPods: [],
      events: [],
    });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    // Only changes are reported: no two consecutive reports are equal.
    expect(seen.slice(1).every((p, i) => JSON.stringify(p) !== JSON.stringify(seen[i]))).toBe(true);
    // maxUnavailable rounds down to 0 of 3, so availability holds; the updated count moves.
    expect(seen.some((p) => p.updated > 0 && p.updated < 3)).toBe(true);
    expect(seen.at(-1)).toEqual(report.progress);
  });

  it('completes at once for a Deployment already rolled out', async () => {
    expect(await api.followRollout(ref('slow'), { timeoutMs: 5_000 })).toMatchObject({ outcome: 'complete' });
  });

  it('fails a crash-looping image early, with CrashLoopBackOff pods and BackOff events', async () => {
    await api.setImage(ref('crashy'), { image: 'ghcr.io/acme/crashy:1.1-crashloop', ...change });
    const started = Date.now();
    const report = await api.followRollout(ref('crashy'), { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/^CrashLoopBackOff: all \d new pod\(s\) of ReplicaSet crashy-\w+ are failing$/);
    expect(report.failingPods.length).toBeGreaterThanOrEqual(1);
    expect(report.failingPods.length).toBeLessThanOrEqual(5);
    expect(report.failingPods[0]).toMatchObject({
      phase: 'Running',
      ready: false,
      reason: 'CrashLoopBackOff',
      lastTermination: { reason: 'Error', exitCode: 1 },
    });
    expect(report.failingPods[0]?.restarts).toBeGreaterThanOrEqual(2);
    expect(report.events.length).toBeGreaterThanOrEqual(1);
    expect(report.events.length).toBeLessThanOrEqual(5);
    expect(report.events[0]).toMatchObject({ reason: 'BackOff', object: expect.stringMatching(/^Pod\/crashy-/) });
    const times = report.events.map((e) => Date.parse(e.lastSeen));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('fails an image that cannot be pulled, with ImagePullBackOff pods', async () => {
    await api.setImage(ref('pully'), { image: 'ghcr.io/acme/pully:9.9-imagepull', ...change });
    const report = await api.followRollout(ref('pully'), { timeoutMs: 30_000 });
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/^(ImagePullBackOff|ErrImagePull): /);
    expect(report.failingPods[0]).toMatchObject({
      phase: 'Pending',
      ready: false,
      reason: expect.stringMatching(/ImagePullBackOff|ErrImagePull/),
    });
    expect(report.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Failed']));
  });

  it('gives up with outcome timeout, naming the pods still not ready', async () => {
    // Setup as admin: new pods that take a minute to become ready.
    await ns.apps.patchNamespacedDeployment({
      name: 'stuck',
      namespace: ns.name,
      body: [
        {
          op: 'add',
          path: '/spec/template/metadata/annotations',
          value: { 'pod-ready.stage.kwok.x-k8s.io/delay': '60s' },
        },
      ],
    });
    const report = await api.followRollout(ref('stuck'), { timeoutMs: 1_500 });
    expect(report.outcome).toBe('timeout');
    expect(report.reason).toContain('did not complete');
    expect(report.failingPods).toHaveLength(1);
    expect(report.failingPods[0]).toMatchObject({ ready: false });
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('job cancelled')), 300);
    await expect(api.followRollout(ref('stuck'), { timeoutMs: 30_000, signal: controller.signal })).rejects.toThrow(
      'job cancelled',
    );
  });

  it('answers a missing Deployment with not_found and a did-you-mean', async () => {
    await expect(api.followRollout(ref('slwo'), { timeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'not_found',
      userMessage: expect.stringContaining('did you mean "slow"?'),
    });
  });
});
