// Proves the test ground is a real Kubernetes: controllers roll Deployments out,
// kwok's stages make the failures the product must recognise, RBAC is enforced
// on the bot's identity, and pod logs come back through the API server.
import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { nodeAllocatable, nodeCapacity, nodeName, nodeNames, region, zones } from '../../support/cluster/bootstrap.ts';
import { storageClassName } from '../../support/cluster/volume-provisioner.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, servePodLogs, useTestNamespace, waitForObject } from '../../support/kube.ts';

const ns = useTestNamespace('cluster');

const available =
  (replicas: number) =>
  (d: k8s.V1Deployment): boolean =>
    (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    d.status?.updatedReplicas === replicas &&
    d.status?.availableReplicas === replicas &&
    (d.status?.replicas ?? 0) === replicas;

async function createPod(name: string, image: string, annotations: Record<string, string> = {}): Promise<void> {
  await ns.core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name, annotations }, spec: { containers: [{ name: 'app', image }] } },
  });
}

const podPath = (): string => `/api/v1/namespaces/${ns.name}/pods`;
const waiting = (pod: k8s.V1Pod): string | undefined => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;

/** A pod that mounts the claim `claim`. */
function podWithClaim(name: string, claim: string): k8s.V1Pod {
  const volumeMounts = [{ name: 'data', mountPath: '/data' }];
  return {
    metadata: { name },
    spec: {
      containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0', volumeMounts }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
    },
  };
}

/** The nodes a volume's node affinity allows. */
const nodesOf = (volume: k8s.V1PersistentVolume): string[] | undefined =>
  volume.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values;

async function warningEvents(involved: string): Promise<k8s.CoreV1Event[]> {
  const list = await ns.core.listNamespacedEvent({
    namespace: ns.name,
    fieldSelector: `involvedObject.name=${involved}`,
  });
  return list.items.filter((e) => e.type === 'Warning');
}

describe('the test cluster', () => {
  it('reports the Kubernetes version it was built as', async () => {
    const version = await ns.admin.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.35.4');
  });

  it('has three Ready kwok nodes, one per zone, with the capacity and labels of real ones', async () => {
    for (const [i, name] of nodeNames.entries()) {
      const node = await ns.core.readNode({ name });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(node.status?.capacity).toEqual(nodeCapacity);
      expect(node.status?.allocatable).toEqual(nodeAllocatable);
      expect(node.metadata?.labels).toMatchObject({
        'kubernetes.io/hostname': name,
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': zones[i],
      });
      expect(node.spec?.taints ?? []).toEqual([]);
    }
  });

  it('schedules against that capacity: a pod asking for more than a node has stays Pending, saying why', async () => {
    await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'too-big' },
        spec: {
          containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0', resources: { requests: { cpu: '9' } } }],
        },
      },
    });
    const pending = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) =>
        p.metadata?.name === 'too-big' &&
        (p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ?? false),
      { what: 'too-big to be found unschedulable' },
    );
    const scheduled = pending.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(scheduled?.message).toMatch(/0\/\d+ nodes are available: .*3 Insufficient cpu/);
    expect(pending.spec?.nodeName).toBeUndefined();
  });

  it('spreads replicas over the nodes and zones as a hard topology spread asks', async () => {
    const spread = makeDeployment('spread', 'ghcr.io/acme/web:1.0', { replicas: 3 });
    spread.spec!.template.spec!.topologySpreadConstraints = [
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ].map((topologyKey) => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'spread' } },
    }));
    await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: spread });
    await waitForObject<k8s.V1Deployment>(
      ns.admin,
      `/apis/apps/v1/namespaces/${ns.name}/deployments`,
      (d) => d.metadata?.name === 'spread' && available(3)(d),
      { what: 'spread to have 3 available replicas' },
    );
    const pods = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=spread' });
    expect(pods.items.map((p) => p.spec?.nodeName).sort()).toEqual([...nodeNames]);
  });

  it("gives a claim of the default StorageClass a volume on its pod's node, and deletes it with the claim", async () => {
    await ns.core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    // WaitForFirstConsumer: nothing is made until a pod uses the claim and is scheduled.
    const claim = await ns.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name });
    expect(claim.spec?.storageClassName).toBe(storageClassName);
    expect(claim.status?.phase).toBe('Pending');
    await ns.core.createNamespacedPod({ namespace: ns.name, body: podWithClaim('with-volume', 'data') });
    const running = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === 'with-volume' && p.status?.phase === 'Running',
      { what: 'the pod with a volume to run' },
    );
    const bound = await ns.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name });
    expect(bound.status).toMatchObject({ phase: 'Bound', capacity: { storage: '1Gi' } });
    const volume = await ns.core.readPersistentVolume({ name: bound.spec?.volumeName ?? '' });
    expect(nodesOf(volume)).toEqual([running.spec?.nodeName]);

    await ns.core.deleteNamespacedPod({ name: 'with-volume', namespace: ns.name, gracePeriodSeconds: 0 });
    await ns.core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name });
    await waitUntil(
      async () => !(await ns.core.listPersistentVolume()).items.some((v) => v.metadata?.name === volume.metadata?.name),
      { what: `the volume ${volume.metadata?.name ?? ''} to be deleted with its claim`, timeoutMs: 30_000 },
    );
  });

  it('keeps the node alive through a Lease that kwok renews (status heartbeats alone let it flap)', async () => {
    const leases = ns.admin.makeApiClient(k8s.CoordinationV1Api);
    const first = await leases.readNamespacedLease({ name: nodeName, namespace: 'kube-node-lease' });
    expect(first.spec?.leaseDurationSeconds).toBe(40);
    const renewed = await waitForObject<k8s.V1Lease>(
      ns.admin,
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
      (l) => l.metadata?.name === nodeName && String(l.spec?.renewTime) !== String(first.spec?.renewTime),
      { what: 'the node lease to be renewed', timeoutMs: 20_000 },
    );
    expect(new Date(String(renewed.spec?.renewTime)).getTime()).toBeGreaterThan(
      new Date(String(first.spec?.renewTime)).getTime(),
    );
  });

  it('rolls a 3-replica Deployment out to 3 available (deployment controller, scheduler, kwok)', async () => {
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 3 }),
    });
    const done = await waitForObject<k8s.V1Deployment>(
      ns.admin,
      `/apis/apps/v1/namespaces/${ns.name}/deployments`,
      (d) => d.metadata?.name === 'web' && available(3)(d),
      { what: 'web to have 3 available replicas' },
    );
    expect(done.status?.readyReplicas).toBe(3);
    const pods = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    for (const pod of pods.items) expect(nodeNames).toContain(pod.spec?.nodeName);
  });

  it('rolls a new image out through a new ReplicaSet and scales the old one to zero', async () => {
    await ns.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/web:1.1' }],
    });
    await waitForObject<k8s.V1Deployment>(
      ns.admin,
      `/apis/apps/v1/namespaces/${ns.name}/deployments`,
      (d) => d.metadata?.name === 'web' && d.metadata.generation === 2 && available(3)(d),
      { what: 'web 1.1 to roll out' },
    );
    const sets = await ns.apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=web' });
    const byImage: Record<string, number | undefined> = Object.fromEntries(
      sets.items.map((rs) => [rs.spec?.template?.spec?.containers[0]?.image ?? '', rs.status?.replicas]),
    );
    expect(byImage).toEqual({ 'ghcr.io/acme/web:1.0': 0, 'ghcr.io/acme/web:1.1': 3 });
  });

  it('makes a :crashloop pod crash-loop with rising restarts and BackOff events', async () => {
    await createPod('crasher', 'ghcr.io/acme/web:1.2-crashloop', { 'coxswain.test/restart-interval': '300ms' });
    const pod = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === 'crasher' && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3,
      { what: 'crasher to restart 3 times' },
    );
    const status = pod.status?.containerStatuses?.[0];
    expect(waiting(pod)).toBe('CrashLoopBackOff');
    expect(status?.lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    expect(status?.ready).toBe(false);
    expect(pod.status?.phase).toBe('Running');
    const events = await warningEvents('crasher');
    expect(events.map((e) => e.reason)).toContain('BackOff');
  });

  it('makes an :oomkilled pod show OOMKilled with exit code 137', async () => {
    await createPod('hog', 'ghcr.io/acme/web:1.2-oomkilled');
    const pod = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === 'hog' && waiting(p) === 'CrashLoopBackOff',
      { what: 'hog to be OOMKilled' },
    );
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137,
    });
  });

  it('makes an :imagepull pod Pending in ErrImagePull then ImagePullBackOff, with the pull error as an event', async () => {
    await createPod('puller', 'ghcr.io/acme/web:9.9-imagepull');
    const pod = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === 'puller' && waiting(p) === 'ImagePullBackOff',
      { what: 'puller to back off' },
    );
    expect(pod.status?.phase).toBe('Pending');
    const events = await warningEvents('puller');
    expect(events.map((e) => [e.reason, e.message])).toEqual(
      expect.arrayContaining([
        ['Failed', 'Failed to pull image: not found'],
        ['BackOff', 'Back-off pulling image'],
      ]),
    );
  });

  it.each([
    [
      'pullauth',
      'ImagePullBackOff',
      'Pending',
      ['Failed', 'Failed to pull image: unauthorized: authentication required'],
    ],
    ['configerror', 'CreateContainerConfigError', 'Pending', ['Failed', 'Error: secret "app-secrets" not found']],
  ])('makes a :%s pod wait in %s', async (marker, reason, phase, event) => {
    await createPod(marker, `ghcr.io/acme/web:2.0-${marker}`);
    const pod = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === marker && waiting(p) === reason,
      { what: `${marker} to wait in ${reason}` },
    );
    expect(pod.status?.phase).toBe(phase);
    expect((await warningEvents(marker)).map((e) => [e.reason, e.message])).toContainEqual(event);
  });

  it('makes an :evicted pod Failed with reason Evicted', async () => {
    await createPod('evictee', 'ghcr.io/acme/web:2.0-evicted');
    const pod = await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === 'evictee' && p.status?.phase === 'Failed',
      { what: 'evictee to be evicted' },
    );
    expect(pod.status?.reason).toBe('Evicted');
  });

  it('removes a deleted pod (no kubelet would)', async () => {
    await ns.core.deleteNamespacedPod({ name: 'hog', namespace: ns.name });
    await waitUntil(
      async () => {
        const list = await ns.core.listNamespacedPod({ namespace: ns.name, fieldSelector: 'metadata.name=hog' });
        return list.items.length === 0;
      },
      { what: 'pod hog to be gone', timeoutMs: 15_000 },
    );
  });

  it('serves current and previous pod logs through the API server, to the bot identity', async () => {
    await createPod('talker', 'ghcr.io/acme/web:1.0');
    await waitForObject<k8s.V1Pod>(
      ns.admin,
      podPath(),
      (p) => p.metadata?.name === 'talker' && p.status?.phase === 'Running',
      { what: 'talker to run' },
    );
    await servePodLogs(ns, 'talker', {
      current: ['listening on :8080', 'GET /healthz 200'],
      previous: ['panic: boom'],
    });
    const core = ns.bot.makeApiClient(k8s.CoreV1Api);
    const readLog = (previous: boolean): Promise<string> =>
      core.readNamespacedPodLog({ name: 'talker', namespace: ns.name, container: 'app', previous });
    // kwok learns of the Logs object through its own watch; wait until it serves it.
    await waitUntil(async () => (await readLog(false)).includes('healthz'), {
      what: 'kwok to serve the logs',
      timeoutMs: 10_000,
    });
    expect(await readLog(false)).toBe('listening on :8080\nGET /healthz 200\n');
    expect(await readLog(true)).toBe('panic: boom\n');
  });

  it('gives the bot identity exactly the RBAC of deploy/: deployments yes, Secrets no', async () => {
    const apps = ns.bot.makeApiClient(k8s.AppsV1Api);
    const core = ns.bot.makeApiClient(k8s.CoreV1Api);
    const list = await apps.listNamespacedDeployment({ namespace: ns.name });
    expect(list.items.map((d) => d.metadata?.name)).toContain('web');
    await expect(core.listNamespacedSecret({ namespace: ns.name })).rejects.toMatchObject({ code: 403 });
    await expect(apps.deleteNamespacedDeployment({ name: 'web', namespace: ns.name })).rejects.toMatchObject({
      code: 403,
    });
    await expect(
      core.createNamespacedPod({
        namespace: ns.name,
        body: { metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } },
      }),
    ).rejects.toMatchObject({ code: 403 });
  });
});
