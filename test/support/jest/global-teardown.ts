// Stops only what global-setup started; COXSWAIN_KEEP_CLUSTER=1 keeps a started cluster for the next run.
import { stopCluster } from '../cluster/cluster.ts';

export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__coxswainStarted;
  if (started?.redis) await started.redis.destroy();
  if (started?.cluster && process.env['COXSWAIN_KEEP_CLUSTER'] !== '1')
    await stopCluster(started.cluster, { purge: true });
}
