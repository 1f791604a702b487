// The test cluster's volume provisioner: claims of the default StorageClass (storage-class.yaml) get a
// PersistentVolume of a directory on this machine, made when the scheduler has chosen the pod's node
// (WaitForFirstConsumer) and tied to that node, as local-path provisioners do on real clusters. When its claim is
// deleted, the volume and its directory go too (reclaimPolicy Delete). The harness runs it as one of the cluster's
// components (cluster.ts):
//
//   node volume-provisioner.ts --kubeconfig FILE --root DIR --port N
//
// kube-controller-manager's volume controller does the binding; this only makes and removes volumes. It polls (every
// 500 ms, two list calls): a test cluster holds a handful of claims, and polling needs no resume logic when the API
// server restarts under it.
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';

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

const isStatus = (error: unknown, code: number): boolean => error instanceof k8s.ApiException && error.code === code;

/** Makes the volumes waiting claims need; says which it made. */
async function makeVolumes(
  core: k8s.CoreV1Api,
  root: string,
  claims: readonly k8s.V1PersistentVolumeClaim[],
  existing: ReadonlySet<string>,
): Promise<string[]> {
  const made: string[] = [];
  for (const claim of claims.map(waitingClaim)) {
    if (!claim || existing.has(`pvc-${claim.uid}`)) continue;
    const volume = volumeFor(claim, root);
    await mkdir(join(root, `pvc-${claim.uid}`), { recursive: true });
    try {
      await core.createPersistentVolume({ body: volume });
      made.push(`pvc-${claim.uid} for ${claim.namespace}/${claim.name} on ${claim.node}`);
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
  }
  return made;
}

/** Deletes our volumes whose claims are gone (Released), and their directories; says which. */
async function removeVolumes(
  core: k8s.CoreV1Api,
  root: string,
  volumes: readonly k8s.V1PersistentVolume[],
): Promise<string[]> {
  const removed: string[] = [];
  for (const { metadata = {}, spec = {}, status = {} } of volumes) {
    const ours = metadata.annotations?.[provisionedBy] === provisionerName;
    const released = status.phase === 'Released' || status.phase === 'Failed';
    if (!ours || !released || spec.persistentVolumeReclaimPolicy !== 'Delete') continue;
    const name = metadata.name ?? '';
    await core.deletePersistentVolume({ name }).catch((error: unknown) => {
      if (!isStatus(error, 404)) throw error;
    });
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

async function provisionOnce(core: k8s.CoreV1Api, root: string): Promise<Pass> {
  const [claims, volumes] = await Promise.all([
    core.listPersistentVolumeClaimForAllNamespaces(),
    core.listPersistentVolume(),
  ]);
  const existing = new Set(volumes.items.map((v) => v.metadata?.name ?? ''));
  return {
    made: await makeVolumes(core, root, claims.items, existing),
    removed: await removeVolumes(core, root, volumes.items),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kubeconfig: { type: 'string' }, root: { type: 'string' }, port: { type: 'string' } },
  });
  if (!values.kubeconfig || !values.root || !values.port) {
    throw new Error('usage: volume-provisioner.ts --kubeconfig FILE --root DIR --port N');
  }
  const root = values.root;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(values.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let healthy = false;
  createServer((req, res) => {
    res.writeHead(req.url === '/healthz' && healthy ? 200 : 503).end();
  }).listen(Number(values.port), '127.0.0.1');
  let lastError = '';
  for (;;) {
    try {
      const pass = await provisionOnce(core, root);
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
