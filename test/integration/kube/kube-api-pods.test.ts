// listPods and readLogs against the test cluster as the bot, and how the
// KubeApi answers an identity without rights and an API server that is down.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createKubeApi } from '../../../src/kube/create-kube-api.ts';
import type { KubeApi } from '../../../src/kube/kube-api.ts';
import { nodeNames } from '../../support/cluster/bootstrap.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { servePodLogs, useTestNamespace, waitForObject } from '../../support/kube.ts';

const ns = useTestNamespace('kube-pods');
let api: KubeApi;
const logs = { tailLines: 100, previous: false, limitBytes: 64_000 };

async function createPod(name: string, containers: { name: string; image: string }[]): Promise<void> {
  await ns.core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name, labels: { app: name } }, spec: { containers } },
  });
}

async function kubeconfigFor(server: string, token: string): Promise<string> {
  const bot = ns.bot.getCurrentCluster();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: bot?.caData, skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const file = join(await mkdtemp(join(tmpdir(), 'coxswain-kube-')), 'kubeconfig');
  await writeFile(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  api = createKubeApi({ kubeconfigPath: ns.cluster.botKubeconfig });
  await createPod('talker', [{ name: 'app', image: 'ghcr.io/acme/web:1.0' }]);
  await createPod('pair', [
    { name: 'app', image: 'ghcr.io/acme/web:1.0' },
    { name: 'proxy', image: 'ghcr.io/acme/proxy:1.0' },
  ]);
  await createPod('crasher', [{ name: 'app', image: 'ghcr.io/acme/web:1.0-crashloop' }]);
  await waitForObject<k8s.V1Pod>(
    ns.admin,
    `/api/v1/namespaces/${ns.name}/pods`,
    (p) =>
      p.metadata?.name === 'crasher' && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    { what: 'crasher to crash' },
  );
  await waitForObject<k8s.V1Pod>(
    ns.admin,
    `/api/v1/namespaces/${ns.name}/pods`,
    (p) => p.metadata?.name === 'pair' && p.status?.phase === 'Running',
    { what: 'pair to run' },
  );
  await servePodLogs(ns, 'talker', {
    current: Array.from({ length: 30 }, (_, i) => `line ${i + 1}`),
    previous: ['panic: boom'],
  });
  await waitUntil(async () => (await api.readLogs(ns.name, 'talker', logs)).lines.length > 0, {
    what: 'kwok to serve the logs',
    timeoutMs: 10_000,
  });
});

describe('listPods', () => {
  it('shows READY, RESTARTS and the STATUS column like kubectl get pods', async () => {
    const pods = await api.listPods(ns.name);
    expect(pods.map((p) => p.name)).toEqual(['crasher', 'pair', 'talker']);
    expect(pods.find((p) => p.name === 'pair')).toMatchObject({
      ready: '2/2',
      restarts: 0,
      status: 'Running',
      phase: 'Running',
    });
    expect(nodeNames).toContain(pods.find((p) => p.name === 'pair')?.node);
    const crasher = pods.find((p) => p.name === 'crasher');
    expect(crasher).toMatchObject({ ready: '0/1', status: 'CrashLoopBackOff', phase: 'Running' });
    expect(crasher?.restarts).toBeGreaterThanOrEqual(1);
    expect((await api.listPods(ns.name, 'app=talker')).map((p) => p.name)).toEqual(['talker']);
  });
});

describe('readLogs', () => {
  it('returns the tail and says when lines were cut', async () => {
    expect(await api.readLogs(ns.name, 'talker', { ...logs, tailLines: 5 })).toEqual({
      container: 'app',
      lines: ['line 26', 'line 27', 'line 28', 'line 29', 'line 30'],
      truncated: true,
    });
    const all = await api.readLogs(ns.name, 'talker', logs);
    expect(all).toMatchObject({ container: 'app', truncated: false });
    expect(all.lines).toHaveLength(30);
  });

  it('passes limitBytes to the API and flags the cut', async () => {
    const capped = await api.readLogs(ns.name, 'talker', { ...logs, limitBytes: 20 });
    expect(capped.truncated).toBe(true);
    expect(capped.lines.join('\n').length).toBeLessThanOrEqual(20);
  });

  it('keeps the newest lines when the byte cap cuts the tail (the API keeps its first bytes)', async () => {
    // The 20 bytes of a 101-line tail are "line 1 … line 3": asked again for 2 lines, the API gives the newest.
    expect(await api.readLogs(ns.name, 'talker', { ...logs, limitBytes: 20 })).toEqual({
      container: 'app',
      lines: ['line 29', 'line 30'],
      truncated: true,
    });
  });

  it('reads the previous instance of a crashed container', async () => {
    expect(await api.readLogs(ns.name, 'talker', { ...logs, previous: true })).toEqual({
      container: 'app',
      lines: ['panic: boom'],
      truncated: false,
    });
  });

  it('requires a container when the pod has several, listing their names', async () => {
    await expect(api.readLogs(ns.name, 'pair', logs)).rejects.toMatchObject({
      code: 'bad_input',
      userMessage: 'pod "pair" has 2 containers; choose one with -c: app, proxy',
    });
  });

  it('answers a missing pod with not_found and a did-you-mean', async () => {
    await expect(api.readLogs(ns.name, 'taker', logs)).rejects.toMatchObject({
      code: 'not_found',
      userMessage: `pod "taker" in namespace "${ns.name}" was not found — did you mean "talker"?`,
    });
  });
});

describe('failures of the identity and the connection', () => {
  it('names the permission an identity lacks (forbidden, not retried)', async () => {
    await ns.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'nobody' } } });
    const token = await ns.core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: ns.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const nobody = createKubeApi({
      kubeconfigPath: await kubeconfigFor(ns.cluster.apiServerUrl, token.status?.token ?? ''),
    });
    await expect(nobody.listPods(ns.name)).rejects.toMatchObject({
      code: 'forbidden',
      retryable: false,
      userMessage: `the bot's Kubernetes identity may not list pods in namespace ${ns.name} (its RBAC lacks that permission)`,
    });
    await expect(nobody.readLogs(ns.name, 'talker', logs)).rejects.toMatchObject({
      code: 'forbidden',
      userMessage: expect.stringContaining('may not get pods in namespace'),
    });
  });

  it('calls an unreachable API server unavailable (retried) without leaking the token', async () => {
    const down = createKubeApi({ kubeconfigPath: await kubeconfigFor('https://127.0.0.1:1', 'sekrit-token-value') });
    const error = await down.listDeployments(ns.name).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'unavailable',
      retryable: true,
      userMessage: expect.stringMatching(/^the Kubernetes API server at https:\/\/127\.0\.0\.1:1 is unreachable/),
    });
    expect(JSON.stringify(error) + String(error) + String((error as Error).cause)).not.toContain('sekrit');
  });
});
