import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bootstrapCluster, installKwokCrds } from './bootstrap.ts';
import { generateCertificates, type ClusterCertificates } from './certs.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import {
  freePort,
  isRunning,
  logTail,
  startComponent,
  stopComponent,
  waitUntil,
  type ComponentProcess,
} from './processes.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Where a running test cluster is described; other processes read it to reuse the cluster. */
export interface ClusterState {
  readonly dir: string;
  readonly binDir: string;
  readonly apiServerUrl: string;
  /** system:masters; for test setup and teardown only. */
  readonly adminKubeconfig: string;
  /** The bot's own ServiceAccount, with exactly the RBAC of deploy/base/rbac.yaml. */
  readonly botKubeconfig: string;
  readonly botServiceAccount: { readonly namespace: string; readonly name: string };
  /** Directory where tests write pod log files served through kwok (see stages/README.md). */
  readonly podLogsDir: string;
  readonly components: readonly ComponentProcess[];
  readonly startedAt: string;
  /** What the harness set up (clusterLayout when it was started); a cluster of an older layout is not reused. */
  readonly layout?: number;
}

/** Raised whenever the harness sets a cluster up differently (2: three sized nodes, volumes, kubectl). */
export const clusterLayout = 2;

/** Options of startCluster. */
export interface StartClusterOptions {
  /** Directory for certificates, etcd data, logs and state. Default: clusterDir(). */
  readonly dir?: string;
  /** Progress messages. Default: stderr. */
  readonly log?: (message: string) => void;
  /**
   * Set up the bot's namespace, ServiceAccount and RBAC from deploy/ and write its kubeconfig (the default), or,
   * with false, leave the cluster bare, as a user's cluster is before installing Coxswain.
   */
  readonly bot?: boolean;
}

/** The default directory of the test cluster: $COXSWAIN_CLUSTER_DIR or <tmp>/coxswain-test-cluster. */
export function clusterDir(): string {
  return process.env['COXSWAIN_CLUSTER_DIR'] ?? join(tmpdir(), 'coxswain-test-cluster');
}

const stateFile = (dir: string): string => join(dir, 'state.json');

/** Builds the binaries if the cache lacks them (build.sh) and returns their directory. */
export function ensureBinaries(): string {
  const out = execFileSync(join(here, 'build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) ?? '';
}

/** Reads the state of the cluster in `dir`, or undefined when none was started there. */
export async function readClusterState(dir = clusterDir()): Promise<ClusterState | undefined> {
  if (!existsSync(stateFile(dir))) return undefined;
  return JSON.parse(await readFile(stateFile(dir), 'utf8')) as ClusterState;
}

async function writeClusterState(state: ClusterState): Promise<void> {
  await writeFile(stateFile(state.dir), JSON.stringify(state, null, 2) + '\n');
}

/** Which components of a recorded cluster are alive. */
export async function clusterStatus(
  dir = clusterDir(),
): Promise<{ state?: ClusterState; running: Record<string, boolean> }> {
  const state = await readClusterState(dir);
  const running: Record<string, boolean> = {};
  for (const c of state?.components ?? []) running[c.name] = await isRunning(c);
  return state ? { state, running } : { running };
}

/** True when the cluster is of the current layout, every component runs and the API server answers /readyz. */
export async function isClusterHealthy(state: ClusterState): Promise<boolean> {
  if (state.layout !== clusterLayout) return false;
  for (const c of state.components) if (!(await isRunning(c))) return false;
  const certs = join(state.dir, 'certs');
  return httpsOk(`${state.apiServerUrl}/readyz`, {
    ca: await readFile(join(certs, 'ca.crt')),
    cert: await readFile(join(certs, 'admin.crt')),
    key: await readFile(join(certs, 'admin.key')),
  });
}

interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

function httpsOk(url: string, tls: TlsMaterial): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { ...tls, rejectUnauthorized: tls.ca !== undefined, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Stops every recorded component (newest first) and, with `purge`, deletes the directory. */
export async function stopCluster(dir = clusterDir(), options: { purge?: boolean } = {}): Promise<void> {
  const state = await readClusterState(dir);
  for (const c of [...(state?.components ?? [])].reverse()) await stopComponent(c);
  if (options.purge) await rm(dir, { recursive: true, force: true });
  else if (state) await rm(stateFile(dir), { force: true });
}

interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiServer: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kwok: number;
  readonly volumeProvisioner: number;
}

async function allocatePorts(): Promise<Ports> {
  return {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiServer: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
    kwok: await freePort(),
    volumeProvisioner: await freePort(),
  };
}

interface Launch {
  readonly dir: string;
  readonly binDir: string;
  readonly ports: Ports;
  readonly certs: ClusterCertificates;
  readonly adminKubeconfig: string;
  readonly components: ComponentProcess[];
}

async function launch(
  l: Launch,
  name: string,
  args: readonly string[],
  ready: () => Promise<boolean>,
  binary = join(l.binDir, name),
): Promise<void> {
  const component = startComponent(name, binary, args, join(l.dir, 'logs', `${name}.log`));
  l.components.push(component);
  try {
    await waitUntil(
      async () => {
        if (!(await isRunning(component))) throw new Error('exited');
        return ready();
      },
      { what: `${name} to become ready`, timeoutMs: 90_000, intervalMs: 200 },
    );
  } catch (error) {
    const why = (await isRunning(component)) ? (error as Error).message : `${name} exited`;
    throw new Error(`${why}; last lines of ${component.logFile}:\n${await logTail(component.logFile)}`, {
      cause: error,
    });
  }
}

async function startEtcd(l: Launch): Promise<void> {
  const { etcdClient, etcdPeer } = l.ports;
  await launch(
    l,
    'etcd',
    [
      '--name=coxswain-test',
      `--data-dir=${join(l.dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=coxswain-test=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
      '--quota-backend-bytes=1073741824',
    ],
    () => httpOk(`http://127.0.0.1:${etcdClient}/health`),
  );
}

async function launchApiServer(l: Launch): Promise<void> {
  const { certs, ports } = l;
  const tls = {
    ca: await readFile(certs.caCert),
    cert: await readFile(certs.adminCert),
    key: await readFile(certs.adminKey),
  };
  await launch(
    l,
    'kube-apiserver',
    [
      `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${ports.apiServer}`,
      `--tls-cert-file=${certs.apiServerCert}`,
      `--tls-private-key-file=${certs.apiServerKey}`,
      `--client-ca-file=${certs.caCert}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,LimitRanger,DefaultStorageClass,ResourceQuota,PodSecurity',
      `--service-account-key-file=${certs.serviceAccountPub}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      `--kubelet-client-certificate=${certs.kubeletClientCert}`,
      `--kubelet-client-key=${certs.kubeletClientKey}`,
      `--kubelet-certificate-authority=${certs.caCert}`,
      '--kubelet-preferred-address-types=InternalIP',
      // Loopback cannot be the "kubernetes" Service's endpoint; nothing in the test cluster dials it.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      `--cert-dir=${join(l.dir, 'certs', 'apiserver-generated')}`,
    ],
    () => httpsOk(`https://127.0.0.1:${ports.apiServer}/readyz`, tls),
  );
}

async function startControllers(l: Launch): Promise<void> {
  const { certs, ports, adminKubeconfig } = l;
  await launch(
    l,
    'kube-controller-manager',
    [
      `--kubeconfig=${adminKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.controllerManager}`,
      `--service-account-private-key-file=${certs.serviceAccountKey}`,
      `--root-ca-file=${certs.caCert}`,
      '--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle,-persistentvolume-expander',
      '--node-monitor-grace-period=2m',
      `--cert-dir=${join(l.dir, 'certs', 'kcm-generated')}`,
    ],
    () => httpsOk(`https://127.0.0.1:${ports.controllerManager}/healthz`, {}),
  );
  await launch(
    l,
    'kube-scheduler',
    [
      `--kubeconfig=${adminKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.scheduler}`,
      `--cert-dir=${join(l.dir, 'certs', 'scheduler-generated')}`,
    ],
    () => httpsOk(`https://127.0.0.1:${ports.scheduler}/healthz`, {}),
  );
}

async function startKwok(l: Launch): Promise<void> {
  const stagesDir = join(here, 'stages');
  const stages = (await readdir(stagesDir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `--config=${join(stagesDir, f)}`);
  await launch(
    l,
    'kwok',
    [
      `--kubeconfig=${l.adminKubeconfig}`,
      '--manage-all-nodes=true',
      '--node-ip=127.0.0.1',
      `--node-port=${l.ports.kwok}`,
      `--server-address=127.0.0.1:${l.ports.kwok}`,
      `--tls-cert-file=${l.certs.kwokCert}`,
      `--tls-private-key-file=${l.certs.kwokKey}`,
      '--cidr=10.0.0.1/16',
      '--enable-crds=Logs,ClusterLogs',
      // Heartbeat through a Lease renewed every 10 s; status-only heartbeats come about every
      // 55 s, past the node monitor's grace, which flapped the node and unreadied its pods.
      '--node-lease-duration-seconds=40',
      ...stages,
    ],
    () => httpOk(`http://127.0.0.1:${l.ports.kwok}/healthz`),
  );
}

/** The volume provisioner (volume-provisioner.ts) runs on this very Node, volumes under the cluster's directory. */
async function startVolumeProvisioner(l: Launch): Promise<void> {
  await launch(
    l,
    'volume-provisioner',
    [
      join(here, 'volume-provisioner.ts'),
      `--server=https://127.0.0.1:${l.ports.apiServer}`,
      `--ca=${l.certs.caCert}`,
      `--cert=${l.certs.adminCert}`,
      `--key=${l.certs.adminKey}`,
      `--root=${join(l.dir, 'volumes')}`,
      `--port=${l.ports.volumeProvisioner}`,
    ],
    () => httpOk(`http://127.0.0.1:${l.ports.volumeProvisioner}/healthz`),
    process.execPath,
  );
}

/**
 * Starts a complete control plane on 127.0.0.1: etcd, kube-apiserver (RBAC, the
 * ServiceAccount admission plugin), kube-controller-manager, kube-scheduler and
 * kwok with the project's pod stages and the volume provisioner, then bootstraps it (three nodes, the default
 * StorageClass, the bot's ServiceAccount and RBAC from deploy/) and writes the state file.
 * Any component that fails to start stops the others.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<ClusterState> {
  const dir = options.dir ?? clusterDir();
  const log = options.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  await stopCluster(dir, { purge: true });
  const binDir = ensureBinaries();
  await mkdir(join(dir, 'logs'), { recursive: true });
  const certs = await generateCertificates(join(dir, 'certs'));
  const ports = await allocatePorts();
  const apiServerUrl = `https://127.0.0.1:${ports.apiServer}`;
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  await writeKubeconfig(adminKubeconfig, {
    server: apiServerUrl,
    caCert: certs.caCert,
    user: 'coxswain-test-admin',
    credentials: { clientCert: certs.adminCert, clientKey: certs.adminKey },
  });
  const l: Launch = { dir, binDir, ports, certs, adminKubeconfig, components: [] };
  const saveState = async (extra: Partial<ClusterState>): Promise<ClusterState> => {
    const state: ClusterState = {
      dir,
      binDir,
      apiServerUrl,
      adminKubeconfig,
      botKubeconfig: join(dir, 'bot.kubeconfig'),
      botServiceAccount: { namespace: 'coxswain', name: 'coxswain' },
      podLogsDir: join(dir, 'pod-logs'),
      components: l.components,
      startedAt: new Date().toISOString(),
      layout: clusterLayout,
      ...extra,
    };
    await writeClusterState(state);
    return state;
  };
  try {
    const t0 = Date.now();
    await startEtcd(l);
    await launchApiServer(l);
    await saveState({});
    await installKwokCrds(adminKubeconfig);
    // The provisioner needs only the API server; it starts while the controllers and kwok do.
    await Promise.all([startControllers(l).then(() => startKwok(l)), startVolumeProvisioner(l)]);
    const state = await saveState({});
    log(`control plane up in ${Date.now() - t0} ms; bootstrapping`);
    await mkdir(state.podLogsDir, { recursive: true });
    await bootstrapCluster(state, certs.caCert, { bot: options.bot ?? true });
    log(`ready in ${Date.now() - t0} ms at ${apiServerUrl} (state: ${stateFile(dir)})`);
    return state;
  } catch (error) {
    for (const c of [...l.components].reverse()) await stopComponent(c);
    throw error;
  }
}

function apiServerOf(state: ClusterState): ComponentProcess {
  const component = state.components.find((c) => c.name === 'kube-apiserver');
  if (!component) throw new Error(`the cluster in ${state.dir} records no kube-apiserver`);
  return component;
}

/**
 * Stops the cluster's kube-apiserver alone (SIGTERM, then SIGKILL): etcd, the
 * controllers and kwok keep running and retry until it is back. For a private
 * cluster only (see test/support/private-cluster.ts): the shared one serves
 * every test file at once.
 */
export async function stopApiServer(state: ClusterState): Promise<void> {
  const component = apiServerOf(state);
  await stopComponent(component);
  // stopComponent does not wait for a SIGKILL to land; the port must be free before a restart.
  await waitUntil(async () => !(await isRunning(component)), { what: 'kube-apiserver to exit', timeoutMs: 10_000 });
}

/**
 * Starts a stopped kube-apiserver again with its recorded arguments, so on the
 * same port, certificates and etcd; waits until the cluster is healthy and
 * records the new PID. Returns the updated state.
 */
export async function startApiServer(state: ClusterState): Promise<ClusterState> {
  const old = apiServerOf(state);
  if (old.args === undefined) {
    throw new Error(
      `the state file in ${state.dir} predates recorded arguments; restart the cluster (npm run cluster -- up --restart) to start its kube-apiserver again`,
    );
  }
  if (await isRunning(old)) throw new Error(`kube-apiserver (pid ${old.pid}) is still running`);
  const component = startComponent(old.name, old.binary, old.args, old.logFile);
  const updated: ClusterState = { ...state, components: state.components.map((c) => (c === old ? component : c)) };
  await writeClusterState(updated);
  try {
    await waitUntil(() => isClusterHealthy(updated), {
      what: 'kube-apiserver to become ready again',
      timeoutMs: 90_000,
      intervalMs: 200,
    });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last lines of ${component.logFile}:\n${await logTail(component.logFile)}`,
      { cause: error },
    );
  }
  return updated;
}

/** Stops the kube-apiserver, leaves it down `downMs`, and starts it again: see stopApiServer. */
export async function restartApiServer(
  state: ClusterState,
  options: { readonly downMs: number },
): Promise<ClusterState> {
  await stopApiServer(state);
  await sleep(options.downMs);
  return startApiServer(state);
}
