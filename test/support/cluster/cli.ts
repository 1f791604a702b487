// The test cluster from the shell: `npm run cluster -- up|down [--purge]|status|env`.
import { join } from 'node:path';
import { clusterDir, clusterStatus, isClusterHealthy, readClusterState, startCluster, stopCluster } from './cluster.ts';

const usage = `usage: npm run cluster -- <command>
  up [--restart]  start the test cluster (reuse a healthy one unless --restart)
  down [--purge]  stop it by its recorded PIDs; --purge also deletes its data
  status          say what runs
  env             print shell exports for the admin and bot kubeconfigs, and PATH with the cluster's kubectl`;

async function up(restart: boolean): Promise<void> {
  const current = await readClusterState();
  if (!restart && current && (await isClusterHealthy(current))) {
    console.log(`test cluster already running at ${current.apiServerUrl} (${current.dir})`);
    return;
  }
  const state = await startCluster();
  console.log(
    `test cluster running at ${state.apiServerUrl}\n  admin: ${state.adminKubeconfig}\n  bot:   ${state.botKubeconfig}\n  kubectl: ${join(state.binDir, 'kubectl')}`,
  );
}

async function status(): Promise<number> {
  const { state, running } = await clusterStatus();
  if (!state) {
    console.log(`no test cluster recorded in ${clusterDir()}`);
    return 1;
  }
  const healthy = await isClusterHealthy(state);
  console.log(
    `test cluster in ${state.dir}, started ${state.startedAt}, API server ${state.apiServerUrl}: ${healthy ? 'healthy' : 'NOT healthy'}`,
  );
  for (const c of state.components) {
    console.log(
      `  ${c.name.padEnd(24)} pid ${String(c.pid).padEnd(8)} ${running[c.name] ? 'running' : 'STOPPED'}  log ${c.logFile}`,
    );
  }
  return healthy ? 0 : 1;
}

async function env(): Promise<number> {
  const state = await readClusterState();
  if (!state) {
    console.error('no test cluster is running: npm run cluster -- up');
    return 1;
  }
  console.log(`export COXSWAIN_TEST_ADMIN_KUBECONFIG=${state.adminKubeconfig}`);
  console.log(`export KUBECONFIG=${state.botKubeconfig}`);
  // kubectl of the cluster's own release, built with it (build.sh).
  console.log(`export PATH=${state.binDir}:$PATH`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...flags] = argv;
  switch (command) {
    case 'up':
      await up(flags.includes('--restart'));
      return 0;
    case 'down':
      await stopCluster(clusterDir(), { purge: flags.includes('--purge') });
      return 0;
    case 'status':
      return status();
    case 'env':
      return env();
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`cluster: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
