// KubeApi's Deployment operations against the test cluster, as the bot's
// ServiceAccount: what they change, what they record, how they refuse.
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createKubeApi } from '../../../src/kube/create-kube-api.ts';
import type { KubeApi } from '../../../src/kube/kube-api.ts';
import { makeDeployment, useTestNamespace, waitForObject } from '../../support/kube.ts';

const ns = useTestNamespace('kube-deploy');
let api: KubeApi;
const cause = (what: string): { changeCause: string } => ({ changeCause: `coxswain: @alice (U0ALICE) ${what}` });

const settled = (d: k8s.V1Deployment): boolean => {
  const status = d.status ?? {};
  const replicas = d.spec?.replicas;
  return (
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    status.updatedReplicas === replicas &&
    status.availableReplicas === replicas &&
    status.replicas === replicas
  );
};

const rolledOut =
  (name: string, generation = 0) =>
  (d: k8s.V1Deployment): boolean =>
    d.metadata?.name === name && (d.metadata.generation ?? 0) >= generation && settled(d);

async function waitRolledOut(name: string, generation?: number): Promise<k8s.V1Deployment> {
  return waitForObject<k8s.V1Deployment>(
    ns.admin,
    `/apis/apps/v1/namespaces/${ns.name}/deployments`,
    rolledOut(name, generation),
    { what: `${name} to roll out` },
  );
}

async function create(deployment: k8s.V1Deployment): Promise<void> {
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: deployment });
  await waitRolledOut(deployment.metadata?.name ?? '');
}

beforeAll(async () => {
  api = createKubeApi({ kubeconfigPath: ns.cluster.botKubeconfig });
  await create(makeDeployment('checkout', 'ghcr.io/acme/checkout:1.0', { replicas: 2 }));
  const sidecar = makeDeployment('api', 'ghcr.io/acme/api:1.0');
  sidecar.spec?.template.spec?.containers.push({ name: 'proxy', image: 'ghcr.io/acme/proxy:1.0' });
  await create(sidecar);
});

describe('readDeployment and listDeployments', () => {
  it('summarises a Deployment: containers, counts, revision, age', async () => {
    const summary = await api.readDeployment({ namespace: ns.name, name: 'checkout' });
    expect(summary).toMatchObject({
      namespace: ns.name,
      name: 'checkout',
      generation: 1,
      revision: 1,
      containers: [{ name: 'checkout', image: 'ghcr.io/acme/checkout:1.0' }],
      progress: { desired: 2, updated: 2, ready: 2, available: 2, observed: true },
    });
    expect(summary.age).toMatch(/^\d+s$/);
  });

  it('answers a missing Deployment with not_found and a did-you-mean', async () => {
    await expect(api.readDeployment({ namespace: ns.name, name: 'chekout' })).rejects.toMatchObject({
      code: 'not_found',
      retryable: false,
      userMessage: `deployment "chekout" in namespace "${ns.name}" was not found — did you mean "checkout"?`,
    });
    await expect(api.readDeployment({ namespace: ns.name, name: 'inventory' })).rejects.toMatchObject({
      code: 'not_found',
      userMessage: `deployment "inventory" in namespace "${ns.name}" was not found`,
    });
  });

  it('lists a namespace sorted by name, optionally by label', async () => {
    expect((await api.listDeployments(ns.name)).map((d) => d.name)).toEqual(['api', 'checkout']);
    expect((await api.listDeployments(ns.name, 'app=api')).map((d) => d.name)).toEqual(['api']);
  });
});

describe('setImage', () => {
  it('patches the image and records the change cause, returning the previous image', async () => {
    const result = await api.setImage(
      { namespace: ns.name, name: 'checkout' },
      { image: 'ghcr.io/acme/checkout:1.1', ...cause('deploy checkout 1.1') },
    );
    expect(result).toEqual({ container: 'checkout', previousImage: 'ghcr.io/acme/checkout:1.0', generation: 2 });
    const done = await waitRolledOut('checkout', 2);
    expect(done.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      'coxswain: @alice (U0ALICE) deploy checkout 1.1',
    );
    expect(done.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/checkout:1.1');
  });

  it('requires a container when there are several, listing their names', async () => {
    await expect(
      api.setImage({ namespace: ns.name, name: 'api' }, { image: 'x:1', ...cause('deploy') }),
    ).rejects.toMatchObject({
      code: 'bad_input',
      userMessage: 'deployment "api" has 2 containers; choose one with -c: api, proxy',
    });
    await expect(
      api.setImage({ namespace: ns.name, name: 'api' }, { image: 'x:1', container: 'nginx', ...cause('deploy') }),
    ).rejects.toMatchObject({
      code: 'bad_input',
      userMessage: 'deployment "api" has no container "nginx"; its containers are: api, proxy',
    });
  });

  it('changes only the named container of several', async () => {
    const result = await api.setImage(
      { namespace: ns.name, name: 'api' },
      { image: 'ghcr.io/acme/proxy:1.1', container: 'proxy', ...cause('deploy proxy') },
    );
    expect(result).toMatchObject({ container: 'proxy', previousImage: 'ghcr.io/acme/proxy:1.0' });
    const d = await waitRolledOut('api', result.generation);
    expect(d.spec?.template.spec?.containers.map((c) => c.image)).toEqual([
      'ghcr.io/acme/api:1.0',
      'ghcr.io/acme/proxy:1.1',
    ]);
  });

  it('maps an image the API refuses to invalid with its message', async () => {
    await expect(
      api.setImage({ namespace: ns.name, name: 'checkout' }, { image: '', ...cause('deploy nothing') }),
    ).rejects.toMatchObject({
      code: 'invalid',
      userMessage: expect.stringContaining('image'),
    });
  });

  it('suggests the right name when the deployment is mistyped', async () => {
    await expect(
      api.setImage({ namespace: ns.name, name: 'checkuot' }, { image: 'x:1', ...cause('deploy') }),
    ).rejects.toMatchObject({
      code: 'not_found',
      userMessage: expect.stringContaining('did you mean "checkout"?'),
    });
  });
});

describe('history and undo', () => {
  it('lists revisions newest first with change cause, images and the current flag', async () => {
    const revisions = await api.history({ namespace: ns.name, name: 'checkout' });
    expect(revisions.map((r) => [r.revision, r.images, r.current])).toEqual([
      [2, ['ghcr.io/acme/checkout:1.1'], true],
      [1, ['ghcr.io/acme/checkout:1.0'], false],
    ]);
    expect(revisions[0]?.changeCause).toBe('coxswain: @alice (U0ALICE) deploy checkout 1.1');
    expect(revisions[0]?.createdAt).toMatch(/^\d{4}-/);
  });

  it('refuses an unknown revision listing the available ones, and the current one as bad input', async () => {
    await expect(
      api.undo({ namespace: ns.name, name: 'checkout' }, { toRevision: 7, ...cause('undo') }),
    ).rejects.toMatchObject({
      code: 'not_found',
      userMessage: 'deployment "checkout" has no revision 7; available revisions: 2, 1',
    });
    await expect(
      api.undo({ namespace: ns.name, name: 'checkout' }, { toRevision: 2, ...cause('undo') }),
    ).rejects.toMatchObject({
      code: 'bad_input',
      userMessage: 'deployment "checkout" is already at revision 2',
    });
  });

  it('rolls back to the previous revision like kubectl: its template becomes revision 3', async () => {
    const result = await api.undo({ namespace: ns.name, name: 'checkout' }, cause('undo checkout'));
    expect(result).toEqual({ revision: 1, generation: 3 });
    const d = await waitRolledOut('checkout', 3);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/checkout:1.0');
    expect(d.spec?.template.metadata?.labels).toEqual({ app: 'checkout' });
    const revisions = await api.history({ namespace: ns.name, name: 'checkout' });
    expect(revisions.map((r) => [r.revision, r.images[0], r.current])).toEqual([
      [3, 'ghcr.io/acme/checkout:1.0', true],
      [2, 'ghcr.io/acme/checkout:1.1', false],
    ]);
    expect(revisions[0]?.changeCause).toBe('coxswain: @alice (U0ALICE) undo checkout');
  });

  it('rolls back to a named revision', async () => {
    expect(
      await api.undo({ namespace: ns.name, name: 'checkout' }, { toRevision: 2, ...cause('undo to 2') }),
    ).toMatchObject({ revision: 2 });
    const d = await waitRolledOut('checkout', 4);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/checkout:1.1');
  });

  it('undoes once per request: the same job run again (a retry, a lost worker) finds its rollback made', async () => {
    const ref = { namespace: ns.name, name: 'checkout' };
    const first = await api.undo(ref, { ...cause('undo checkout'), request: 'slack-undo-once' });
    expect(first).toEqual({ revision: 3, generation: 5 });
    await waitRolledOut('checkout', 5);
    // Without the mark this would go back again, to 1.1: the undo of the undo.
    expect(await api.undo(ref, { ...cause('undo checkout'), request: 'slack-undo-once' })).toEqual({
      revision: 5,
      generation: 5,
      alreadyMade: true,
    });
    const d = await waitRolledOut('checkout', 5);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/checkout:1.0');
    // Another request is another undo.
    expect(await api.undo(ref, { ...cause('undo checkout'), request: 'slack-undo-next' })).toMatchObject({
      revision: 4,
    });
    expect((await waitRolledOut('checkout', 6)).spec?.template.spec?.containers[0]?.image).toBe(
      'ghcr.io/acme/checkout:1.1',
    );
    // Every write marks its job the same way; the summary shows it (an approved job run again knows its own change).
    expect((await api.readDeployment(ref)).lastRequest).toBe('slack-undo-next');
    await api.scale(ref, 1, { ...cause('scale checkout 1'), request: 'slack-scale-mark' });
    expect((await api.readDeployment(ref)).lastRequest).toBe('slack-scale-mark');
    await api.scale(ref, 2, { ...cause('scale checkout 2'), request: 'slack-scale-mark-2' });
    expect((await api.readDeployment(ref)).lastRequest).toBe('slack-scale-mark-2');
  });
});

describe('scale and findAutoscaler', () => {
  it('scales through the scale subresource and records the change cause', async () => {
    const result = await api.scale({ namespace: ns.name, name: 'checkout' }, 3, cause('scale checkout 3'));
    expect(result.previous).toBe(2);
    const d = await waitRolledOut('checkout', result.generation);
    expect(d.status?.availableReplicas).toBe(3);
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toBe('coxswain: @alice (U0ALICE) scale checkout 3');
  });

  it("marks the Deployment before it scales: no state of it shows the new count without the job's mark", async () => {
    const ref = { namespace: ns.name, name: 'checkout' };
    const before = await ns.apps.readNamespacedDeployment(ref);
    // Every state the API server stored from here on, in order (a watch from the read's resourceVersion).
    const states: k8s.V1Deployment[] = [];
    let request: AbortController | undefined;
    const seen = new Promise<void>((resolve, reject) => {
      new k8s.Watch(ns.admin)
        .watch(
          `/apis/apps/v1/namespaces/${ns.name}/deployments`,
          { resourceVersion: before.metadata?.resourceVersion, fieldSelector: 'metadata.name=checkout' },
          (_type: string, d: k8s.V1Deployment) => {
            states.push(d);
            if (d.spec?.replicas === 4) resolve();
          },
          (err: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
          },
        )
        .then((r) => {
          request = r;
        }, reject);
    });
    let result: { previous: number; generation: number };
    try {
      result = await api.scale(ref, 4, { ...cause('scale checkout 4'), request: 'slack-scale-order' });
      await seen;
    } finally {
      request?.abort();
    }
    const marked = (d: k8s.V1Deployment): boolean =>
      d.metadata?.annotations?.['coxswain.io/request'] === 'slack-scale-order';
    // A worker lost between the two writes leaves the mark without the scale, which the job's next run takes for its
    // own.
    expect(states.filter((d) => d.spec?.replicas === 4 && !marked(d))).toEqual([]);
    expect(states.some((d) => marked(d) && d.spec?.replicas === before.spec?.replicas)).toBe(true);
    expect(result.previous).toBe(before.spec?.replicas);
    // The generation to follow is the scale's (the Scale answer has none; a changed annotation bumps it too).
    expect(result.generation).toBe(states.find((d) => d.spec?.replicas === 4)?.metadata?.generation);
    await waitRolledOut('checkout', result.generation);
  });

  it('leaves a Deployment that already has the count alone, unless its own earlier run set it', async () => {
    const ref = { namespace: ns.name, name: 'checkout' };
    const before = await ns.apps.readNamespacedDeployment(ref);
    const count = before.spec?.replicas ?? 1;
    // Nothing is written: no change cause, no mark, no new generation for the controller to observe.
    expect(await api.scale(ref, count, { ...cause(`scale checkout ${count}`), request: 'slack-scale-same' })).toEqual({
      previous: count,
      generation: before.metadata?.generation,
      unchanged: true,
    });
    const after = await ns.apps.readNamespacedDeployment(ref);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    // The count this job itself set in a run that was lost before it reported: its own change, done.
    const mark = before.metadata?.annotations?.['coxswain.io/request'];
    expect(mark).toBeDefined();
    expect(await api.scale(ref, count, { ...cause(`scale checkout ${count}`), request: mark! })).toEqual({
      previous: count,
      generation: before.metadata?.generation,
    });
  });

  it('refuses a negative replica count without calling the API', async () => {
    await expect(api.scale({ namespace: ns.name, name: 'checkout' }, -1, cause('scale'))).rejects.toMatchObject({
      code: 'bad_input',
    });
  });

  it('finds the HorizontalPodAutoscaler that targets the Deployment, and only that one', async () => {
    expect(await api.findAutoscaler({ namespace: ns.name, name: 'checkout' })).toBeUndefined();
    const hpa = ns.admin.makeApiClient((await import('@kubernetes/client-node')).AutoscalingV2Api);
    await hpa.createNamespacedHorizontalPodAutoscaler({
      namespace: ns.name,
      body: {
        metadata: { name: 'checkout-hpa' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' },
          minReplicas: 2,
          maxReplicas: 5,
        },
      },
    });
    expect(await api.findAutoscaler({ namespace: ns.name, name: 'checkout' })).toBe('checkout-hpa');
    expect(await api.findAutoscaler({ namespace: ns.name, name: 'api' })).toBeUndefined();
  });
});

describe('restart', () => {
  it('stamps kubectl.kubernetes.io/restartedAt on the template, making a new revision', async () => {
    const before = Date.now();
    const result = await api.restart({ namespace: ns.name, name: 'api' }, cause('rollout restart api'));
    const d = await waitRolledOut('api', result.generation);
    const stamp = d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? '';
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      'coxswain: @alice (U0ALICE) rollout restart api',
    );
    const revisions = await api.history({ namespace: ns.name, name: 'api' });
    expect(revisions[0]).toMatchObject({ revision: 3, current: true });
  });

  it("stamped with the request's time, a second run of the same restart (a resumed job) changes nothing", async () => {
    const ref = { namespace: ns.name, name: 'api' };
    const at = new Date().toISOString();
    const first = await api.restart(ref, { ...cause('rollout restart api'), at });
    await waitRolledOut('api', first.generation);
    const again = await api.restart(ref, { ...cause('rollout restart api'), at });
    expect(again.generation).toBe(first.generation);
    const d = await waitRolledOut('api', again.generation);
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(at);
    expect((await api.history(ref))[0]).toMatchObject({ revision: 4, current: true });
  });
});
