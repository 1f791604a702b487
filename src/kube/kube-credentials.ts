// The bot's credentials for the API server, read from a kubeconfig or the pod's
// service account without @kubernetes/client-node: its KubeConfig imports the
// whole generated API (about 80 MiB of a process's memory), which the watcher,
// whose only traffic is a pod watch and a Lease, does not need. What is read
// here is what kubectl and client-go read for the common cases: tokens (also
// from a file that rotates), client certificates, basic auth, exec plugins
// (client.authentication.k8s.io ExecCredential), impersonation, CAs. A kubeconfig
// that needs anything else (an auth-provider, a proxy) is reported as
// unsupported, and the caller goes through client-node instead.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

/** TLS settings of the connection. */
export interface ClusterTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** What one request carries: headers, and a client certificate when an exec plugin hands one out. */
export interface RequestAuth {
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly cert?: string;
  readonly key?: string;
}

/** Where the API server is and how to prove who the bot is. */
export interface ClusterCredentials {
  readonly server: string;
  readonly tls: ClusterTls;
  /** The headers (and client certificate) for the next request; tokens from files and plugins are refreshed here. */
  readonly auth: () => Promise<RequestAuth>;
}

/** The kubeconfig needs what only client-node does (e.g. an auth-provider); the message says what. */
export class UnsupportedCredentials extends Error {}

/** Where credentials come from: a kubeconfig file, else the pod's service account. */
export interface CredentialSource {
  readonly kubeconfigPath?: string;
  /** https://host:port of the in-cluster API server (KUBERNETES_SERVICE_HOST/PORT). */
  readonly inClusterServer?: string;
  /** The service account's mount. Default /var/run/secrets/kubernetes.io/serviceaccount. */
  readonly serviceAccountDir?: string;
}

/** client-go re-reads a token file at most this often (projected tokens rotate). */
const tokenFileTtlMs = 60_000;
/** An exec plugin's token is renewed this long before it expires. */
const execRenewMarginMs = 30_000;
/** An exec plugin must answer within this. */
const execTimeoutMs = 30_000;

type Yaml = Record<string, unknown>;

const isObject = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function named(list: unknown, name: string, kind: string, path: string): Yaml {
  const entry = (Array.isArray(list) ? list : []).find((e: unknown) => isObject(e) && e['name'] === name) as
    Yaml | undefined;
  const inner = entry?.[kind];
  if (!isObject(inner)) throw new Error(`${path}: no ${kind} named "${name}"`);
  return inner;
}

/** A token file, re-read when older than a minute. */
function fileToken(file: string): () => string {
  let cached: { token: string; at: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > tokenFileTtlMs)
      cached = { token: readFileSync(file, 'utf8').trim(), at: Date.now() };
    return cached.token;
  };
}

interface ExecConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly apiVersion: string;
}

interface ExecStatus {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  readonly expirationTimestamp?: string;
}

function execConfigOf(exec: Yaml, path: string): ExecConfig {
  const command = text(exec['command']);
  if (!command) throw new Error(`${path}: the exec plugin names no command`);
  const env = Array.isArray(exec['env']) ? (exec['env'] as { name?: unknown; value?: unknown }[]) : [];
  const value = (v: unknown): string =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  return {
    command,
    args: Array.isArray(exec['args']) ? exec['args'].map(String) : [],
    env: Object.fromEntries(env.flatMap((e) => (typeof e.name === 'string' ? [[e.name, value(e.value)]] : []))),
    apiVersion: text(exec['apiVersion']) ?? 'client.authentication.k8s.io/v1',
  };
}

function runPlugin(plugin: ExecConfig): Promise<ExecStatus> {
  const info = JSON.stringify({ apiVersion: plugin.apiVersion, kind: 'ExecCredential', spec: { interactive: false } });
  return new Promise((done, fail) => {
    // Intended, and the only process the product starts: a kubeconfig `exec:` credential plugin (client-go's
    // ExecCredential protocol, e.g. aws-iam-authenticator), run as client-go and client-node run it — never kubectl.
    // process.env is passed through, not read as configuration: the plugin needs the bot's environment as kubectl
    // gives it (cloud credentials, PATH, HOME), plus the kubeconfig's env.
    execFile(
      plugin.command,
      [...plugin.args],
      {
        env: { ...process.env, ...plugin.env, KUBERNETES_EXEC_INFO: info },
        timeout: execTimeoutMs,
        maxBuffer: 1 << 20,
      },
      (error, stdout) => {
        if (error) {
          fail(
            new Error(`the kubeconfig's exec plugin ${plugin.command} failed: ${error.message.split('\n')[0] ?? ''}`),
          );
          return;
        }
        try {
          const status = (JSON.parse(stdout) as { status?: ExecStatus }).status;
          if (!status?.token && !status?.clientCertificateData)
            throw new Error('no token and no client certificate in its status');
          done(status);
        } catch (cause) {
          fail(
            new Error(
              `the kubeconfig's exec plugin ${plugin.command} printed no usable ExecCredential (${(cause as Error).message})`,
            ),
          );
        }
      },
    );
  });
}

/** An exec plugin's credential, run again shortly before it expires (or every time, when it names no expiry). */
function pluginCredential(plugin: ExecConfig): () => Promise<ExecStatus> {
  let cached: { status: ExecStatus; until: number } | undefined;
  let running: Promise<ExecStatus> | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.status;
    running ??= runPlugin(plugin)
      .then((status) => {
        const expires = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.NaN;
        cached = { status, until: Number.isNaN(expires) ? Date.now() + tokenFileTtlMs : expires - execRenewMarginMs };
        return status;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

interface UserParts {
  readonly bearer?: () => string | Promise<string>;
  readonly basic?: string;
  readonly plugin?: () => Promise<ExecStatus>;
  readonly impersonate: Record<string, string | readonly string[]>;
}

/** Reads `field` (a path, relative to the kubeconfig's directory) or `field-data` (base64). */
function material(source: Yaml, field: string, base: string): string | undefined {
  const data = text(source[`${field}-data`]);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const file = text(source[field]);
  return file ? readFileSync(isAbsolute(file) ? file : resolve(base, file), 'utf8') : undefined;
}

function impersonationOf(user: Yaml): Record<string, string | readonly string[]> {
  const as = text(user['as']);
  const groups = Array.isArray(user['as-groups']) ? user['as-groups'].map(String) : [];
  return { ...(as ? { 'impersonate-user': as } : {}), ...(groups.length > 0 ? { 'impersonate-group': groups } : {}) };
}

function userParts(user: Yaml, path: string): UserParts {
  if (user['auth-provider'] !== undefined)
    throw new UnsupportedCredentials(`${path}: its user authenticates through an auth-provider`);
  const base = dirname(path);
  const token = text(user['token']);
  const tokenFile = text(user['tokenFile']);
  const username = text(user['username']);
  const exec = user['exec'];
  return {
    ...(token
      ? { bearer: () => token }
      : tokenFile
        ? { bearer: fileToken(isAbsolute(tokenFile) ? tokenFile : resolve(base, tokenFile)) }
        : {}),
    ...(username ? { basic: Buffer.from(`${username}:${text(user['password']) ?? ''}`).toString('base64') } : {}),
    ...(isObject(exec) ? { plugin: pluginCredential(execConfigOf(exec, path)) } : {}),
    impersonate: impersonationOf(user),
  };
}

async function authorizationOf(parts: UserParts, status: ExecStatus | undefined): Promise<string | undefined> {
  const bearer = status?.token ?? (parts.bearer ? await parts.bearer() : undefined);
  if (bearer) return `Bearer ${bearer}`;
  return parts.basic ? `Basic ${parts.basic}` : undefined;
}

function authOf(parts: UserParts): () => Promise<RequestAuth> {
  return async () => {
    const status = parts.plugin ? await parts.plugin() : undefined;
    const authorization = await authorizationOf(parts, status);
    return {
      headers: { ...(authorization ? { authorization } : {}), ...parts.impersonate },
      ...(status?.clientCertificateData && status.clientKeyData
        ? { cert: status.clientCertificateData, key: status.clientKeyData }
        : {}),
    };
  };
}

/** The current context's cluster and user of a kubeconfig file. */
export function kubeconfigCredentials(path: string): ClusterCredentials {
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (!isObject(doc)) throw new Error(`${path}: not a kubeconfig`);
  const contextName = text(doc['current-context']);
  if (!contextName) throw new Error(`${path}: no current-context`);
  const context = named(doc['contexts'], contextName, 'context', path);
  const clusterName = text(context['cluster']) ?? '';
  const userName = text(context['user']);
  const cluster = named(doc['clusters'], clusterName, 'cluster', path);
  const user = userName === undefined ? {} : named(doc['users'], userName, 'user', path);
  if (cluster['proxy-url'] !== undefined)
    throw new UnsupportedCredentials(`${path}: its cluster is reached through a proxy (proxy-url)`);
  const server = text(cluster['server']);
  if (!server) throw new Error(`${path}: cluster "${clusterName}" names no server`);
  return { server, tls: tlsOf(cluster, user, dirname(path)), auth: authOf(userParts(user, path)) };
}

function tlsOf(cluster: Yaml, user: Yaml, base: string): ClusterTls {
  const defined = Object.entries({
    ca: material(cluster, 'certificate-authority', base),
    cert: material(user, 'client-certificate', base),
    key: material(user, 'client-key', base),
    servername: text(cluster['tls-server-name']),
  }).filter(([, v]) => v !== undefined);
  return { ...Object.fromEntries(defined), rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true };
}

/** The pod's service account: its rotating token and the cluster's CA. */
export function inClusterCredentials(
  server: string,
  dir = '/var/run/secrets/kubernetes.io/serviceaccount',
): ClusterCredentials {
  const ca = readFileSync(`${dir}/ca.crt`, 'utf8');
  const token = fileToken(`${dir}/token`);
  token(); // fails now, at start-up, when the service account is not mounted
  return {
    server,
    tls: { ca, rejectUnauthorized: true },
    auth: () => Promise.resolve({ headers: { authorization: `Bearer ${token()}` } }),
  };
}

/** Credentials from `source`; throws UnsupportedCredentials when only client-node can use them. */
export function loadCredentials(source: CredentialSource): ClusterCredentials {
  if (source.kubeconfigPath !== undefined) return kubeconfigCredentials(source.kubeconfigPath);
  if (!source.inClusterServer)
    throw new Error('no KUBECONFIG, and not running in a cluster (KUBERNETES_SERVICE_HOST is not set)');
  return inClusterCredentials(source.inClusterServer, source.serviceAccountDir);
}
