// The test cluster's volume provisioner: claims of the default StorageClass (storage-class.yaml) get a
// PersistentVolume of a directory on this machine, made when the scheduler has chosen the pod's node
// (WaitForFirstConsumer) and tied to that node, as local-path provisioners do on real clusters. When its claim is
// deleted, the volume and its directory go too (reclaimPolicy Delete). The harness runs it as one of the cluster's
// components (cluster.ts):
//
//   node volume-provisioner.ts --server URL --ca FILE --cert FILE --key FILE --root DIR --port N
//
// kube-controller-manager's volume controller does the binding; this only makes and removes volumes. It polls (every
// 500 ms, two list calls): a test cluster holds a handful of claims, and polling needs no resume logic when the API
// server restarts under it. Four REST calls over node:https, not client-node, keep it at a third of the memory and
// out of the cluster's start-up time.
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';

/** The provisioner name the StorageClass names (storage-class.yaml). */
export const provisionerName = 'coxswain.test/local-volume';
/** The name of the test cluster's default StorageClass. */
export const storageClassName = 'coxswain-local';

const selectedNode = 'volume.kubernetes.io/selected-node';
const provisionedBy = 'pv.kubernetes.io/provisioned-by';

/** What one pass did, for the log. */
interface Pass {
  readonly made: readonly string[];
  readonly removed: readonly string[];
}

/** A claim of our class that waits for a volume: its names and what it asks for. */
export interface WaitingClaim {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The node the scheduler chose for the pod that uses it (WaitForFirstConsumer). */
  readonly node: string;
  readonly storage: string;
  readonly accessModes: string[];
  readonly volumeMode: string;
}

/** What a claim asks for, with the API's defaults. */
function requestOf(
  spec: k8s.V1PersistentVolumeClaimSpec,
): Pick<WaitingClaim, 'storage' | 'accessModes' | 'volumeMode'> {
  return {
    storage: spec.resources?.requests?.['storage'] ?? '1Gi',
    accessModes: spec.accessModes ?? ['ReadWriteOnce'],
    volumeMode: spec.volumeMode ?? 'Filesystem',
  };
}

/** The claim, if it is ours, unbound, not being deleted, and its pod's node is chosen. */
export function waitingClaim(claim: k8s.V1PersistentVolumeClaim): WaitingClaim | undefined {
  const { metadata = {}, spec = {} } = claim;
  const { namespace = '', name = '', uid = '', annotations = {} } = metadata;
  const node = annotations[selectedNode];
  if (spec.storageClassName !== storageClassName || spec.volumeName || metadata.deletionTimestamp || !node) {
    return undefined;
  }
  return {
    namespace,
    name,
    uid,
    node,
    ...requestOf(spec),
  };
}

/** The PersistentVolume for a claim: a directory under `root`, on the claim's node only. */
export function volumeFor(claim: WaitingClaim, root: string): k8s.V1PersistentVolume {
  const name = `pvc-${claim.uid}`;
  const { namespace, uid } = claim;
  return {
    metadata: { name, annotations: { [provisionedBy]: provisionerName } },
    spec: {
      capacity: { storage: claim.storage },
      accessModes: claim.accessModes,
      volumeMode: claim.volumeMode,
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName,
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: claim.name, uid },
      hostPath: { path: join(root, name), type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [claim.node] }] },
          ],
        },
      },
    },
  };
}

/** The four calls the provisioner makes, against the API server. */
interface VolumeApi {
  listClaims(): Promise<k8s.V1PersistentVolumeClaim[]>;
  listVolumes(): Promise<k8s.V1PersistentVolume[]>;
  /** Creates it; false if one of that name exists. */
  createVolume(volume: k8s.V1PersistentVolume): Promise<boolean>;
  /** Deletes it; a volume already gone is not an error. */
  deleteVolume(name: string): Promise<void>;
}

function volumeApi(server: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): VolumeApi {
  const agent = new Agent({ ...tls, keepAlive: true });
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const req = request(new URL(path, server), { method, agent, timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.setHeader('content-type', 'application/json');
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const expect = async (method: string, path: string, ok: readonly number[], body?: unknown): Promise<unknown> => {
    const { status, json } = await call(method, path, body);
    if (!ok.includes(status)) throw new Error(`${method} ${path}: HTTP ${status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    listClaims: async () =>
      ((await expect('GET', '/api/v1/persistentvolumeclaims', [200])) as k8s.V1PersistentVolumeClaimList).items,
    listVolumes: async () =>
      ((await expect('GET', '/api/v1/persistentvolumes', [200])) as k8s.V1PersistentVolumeList).items,
    createVolume: async (volume) => (await call('POST', '/api/v1/persistentvolumes', volume)).status !== 409,
    deleteVolume: async (name) => {
      await expect('DELETE', `/api/v1/persistentvolumes/${name}`, [200, 202, 404]);
    },
  };
}

/** Makes the volumes waiting claims need; says which it made. */
async function makeVolumes(
  api: VolumeApi,
  root: string,
  claims: readonly k8s.V1PersistentVolumeClaim[],
  existing: ReadonlySet<string>,
): Promise<string[]> {
  const made: string[] = [];
  for (const claim of claims.map(waitingClaim)) {
    if (!claim || existing.has(`pvc-${claim.uid}`)) continue;
    const volume = volumeFor(claim, root);
    await mkdir(join(root, `pvc-${claim.uid}`), { recursive: true });
    if (await api.createVolume(volume))
      made.push(`pvc-${claim.uid} for ${claim.namespace}/${claim.name} on ${claim.node}`);
  }
  return made;
}

/** Deletes our volumes whose claims are gone (Released), and their directories; says which. */
async function removeVolumes(
  api: VolumeApi,
  root: string,
  volumes: readonly k8s.V1PersistentVolume[],
): Promise<string[]> {
  const removed: string[] = [];
  for (const { metadata = {}, spec = {}, status = {} } of volumes) {
    const ours = metadata.annotations?.[provisionedBy] === provisionerName;
    const released = status.phase === 'Released' || status.phase === 'Failed';
    if (!ours || !released || spec.persistentVolumeReclaimPolicy !== 'Delete') continue;
    const name = metadata.name ?? '';
    await api.deleteVolume(name);
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

async function provisionOnce(api: VolumeApi, root: string): Promise<Pass> {
  const [claims, volumes] = await Promise.all([api.listClaims(), api.listVolumes()]);
  const existing = new Set(volumes.map((v) => v.metadata?.name ?? ''));
  return { made: await makeVolumes(api, root, claims, existing), removed: await removeVolumes(api, root, volumes) };
}

async function main(): Promise<void> {
  const names = ['server', 'ca', 'cert', 'key', 'root', 'port'] as const;
  const { values } = parseArgs({ options: Object.fromEntries(names.map((n) => [n, { type: 'string' }])) });
  const [server, ca, cert, key, root, port] = names.map((n) => values[n]);
  if (typeof server !== 'string' || typeof root !== 'string' || typeof ca !== 'string') {
    throw new Error('usage: volume-provisioner.ts --server URL --ca FILE --cert FILE --key FILE --root DIR --port N');
  }
  const api = volumeApi(server, {
    ca: readFileSync(ca),
    cert: readFileSync(String(cert)),
    key: readFileSync(String(key)),
  });
  let healthy = false;
  createServer((req, res) => {
    res.writeHead(req.url === '/healthz' && healthy ? 200 : 503).end();
  }).listen(Number(port), '127.0.0.1');
  let lastError = '';
  for (;;) {
    try {
      const pass = await provisionOnce(api, root);
      healthy = true;
      lastError = '';
      for (const made of pass.made) console.log(`${new Date().toISOString()} made ${made}`);
      for (const removed of pass.removed) console.log(`${new Date().toISOString()} removed ${removed}`);
    } catch (error) {
      // Once per streak: the API server being down for a restart test says so once, not twice a second.
      const what = error instanceof Error ? error.message : String(error);
      if (what !== lastError) console.log(`${new Date().toISOString()} ${what}; trying again`);
      lastError = what;
    }
    await sleep(500);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
