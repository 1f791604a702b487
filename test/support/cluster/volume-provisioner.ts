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
  readonly made: string[];
  readonly removed: string[];
}

/** The PersistentVolume for `claim`, on `node`, in a directory under `root`. */
export function volumeFor(claim: k8s.V1PersistentVolumeClaim, node: string, root: string): k8s.V1PersistentVolume {
  const name = `pvc-${claim.metadata?.uid ?? ''}`;
  return {
    metadata: { name, annotations: { [provisionedBy]: provisionerName } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.['storage'] ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName,
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata?.namespace ?? '',
        name: claim.metadata?.name ?? '',
        uid: claim.metadata?.uid ?? '',
      },
      hostPath: { path: join(root, name), type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
    },
  };
}

const isStatus = (error: unknown, code: number): boolean => error instanceof k8s.ApiException && error.code === code;

/** Claims of our class waiting for a volume on a chosen node. */
function waiting(claim: k8s.V1PersistentVolumeClaim): string | undefined {
  if (claim.spec?.storageClassName !== storageClassName || claim.spec.volumeName) return undefined;
  if (claim.metadata?.deletionTimestamp) return undefined;
  return claim.metadata?.annotations?.[selectedNode];
}

async function provisionOnce(core: k8s.CoreV1Api, root: string): Promise<Pass> {
  const pass: Pass = { made: [], removed: [] };
  const [claims, volumes] = await Promise.all([
    core.listPersistentVolumeClaimForAllNamespaces(),
    core.listPersistentVolume(),
  ]);
  const existing = new Set(volumes.items.map((v) => v.metadata?.name));
  for (const claim of claims.items) {
    const node = waiting(claim);
    if (!node) continue;
    const volume = volumeFor(claim, node, root);
    if (existing.has(volume.metadata?.name)) continue;
    await mkdir(volume.spec?.hostPath?.path ?? root, { recursive: true });
    try {
      await core.createPersistentVolume({ body: volume });
      pass.made.push(
        `${volume.metadata?.name ?? ''} for ${claim.metadata?.namespace}/${claim.metadata?.name} on ${node}`,
      );
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
  }
  for (const volume of volumes.items) {
    const ours = volume.metadata?.annotations?.[provisionedBy] === provisionerName;
    const released = volume.status?.phase === 'Released' || volume.status?.phase === 'Failed';
    if (!ours || !released || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') continue;
    const name = volume.metadata?.name ?? '';
    try {
      await core.deletePersistentVolume({ name });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    if (volume.spec.hostPath?.path.startsWith(`${root}/`))
      await rm(volume.spec.hostPath.path, { recursive: true, force: true });
    pass.removed.push(name);
  }
  return pass;
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
