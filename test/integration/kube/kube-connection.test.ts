// The raw connection to the real API server over TLS: the CA is checked, a
// client certificate and a bearer token both authenticate, and failures map to
// the same messages the typed client gives.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterState } from '../../support/cluster/cluster.ts';
import { connectionOver, kubeJson, type KubeConnection } from '../../../src/kube/kube-connection.ts';
import { kubeconfigCredentials } from '../../../src/kube/kube-credentials.ts';
import { toKubeError } from '../../../src/kube/kube-errors.ts';
import { apiServerProbe } from '../../../src/kube/api-server-ready.ts';
import { missingPermissions } from '../../../src/kube/access-review.ts';
import { testCluster } from '../../support/kube.ts';

let cluster: ClusterState;
const opened: KubeConnection[] = [];
const open = (path: string): KubeConnection => {
  const connection = connectionOver(kubeconfigCredentials(path));
  opened.push(connection);
  return connection;
};

beforeAll(async () => {
  cluster = await testCluster();
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

describe('a KubeConnection to the test cluster', () => {
  it('authenticates with a client certificate (admin) and with a token (the bot)', async () => {
    const admin = open(cluster.adminKubeconfig);
    const bot = open(cluster.botKubeconfig);
    expect((await kubeJson<{ gitVersion?: string }>(admin, '/version')).gitVersion).toMatch(/^v1\./u);
    const review = await kubeJson<{ status?: { userInfo?: { username?: string } } }>(
      bot,
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        method: 'POST',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      },
    );
    expect(review.status?.userInfo?.username).toMatch(/^system:serviceaccount:/u);
    expect(await apiServerProbe(bot)()).toBe(true);
  });

  it('refuses a server whose certificate the configured CA did not sign', async () => {
    const path = join(cluster.dir, 'wrong-ca.kubeconfig');
    const admin = await readFile(cluster.adminKubeconfig, 'utf8');
    // The admin's client certificate is not a CA of the server's certificate.
    const clientCert = /client-certificate-data: (\S+)/u.exec(admin)?.[1] ?? '';
    await writeFile(
      path,
      admin.replace(/certificate-authority-data: \S+/u, `certificate-authority-data: ${clientCert}`),
      { mode: 0o600 },
    );
    const connection = open(path);
    const error = await kubeJson(connection, '/version').catch((e: unknown) =>
      toKubeError(e, { server: connection.server }),
    );
    expect(error).toMatchObject({ code: expect.stringMatching(/unavailable|internal/u) as unknown as string });
    expect(await apiServerProbe(connection)()).toBe(false);
  });

  it('maps a refusal as the typed client does: the missing permission is named', async () => {
    const bot = open(cluster.botKubeconfig);
    const error = await kubeJson(bot, '/api/v1/secrets').catch((e: unknown) =>
      toKubeError(e, { server: bot.server, what: 'secrets in all namespaces' }),
    );
    expect(error).toMatchObject({ code: 'forbidden' });
    expect((error as { userMessage: string }).userMessage).toMatch(/list.*secrets/u);
  });

  it("reviews the bot's own permissions (the self-check)", async () => {
    const bot = open(cluster.botKubeconfig);
    const missing = await missingPermissions(bot, 'default', [
      { verb: 'list', group: '', resource: 'pods' },
      { verb: 'delete', group: '', resource: 'secrets' },
    ]);
    expect(missing).toEqual([{ verb: 'delete', group: '', resource: 'secrets' }]);
  });
});
