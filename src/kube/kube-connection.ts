// Raw JSON requests to the API server with the bot's credentials: the watcher's
// door to the cluster (its pod list and watch, its Lease) and the probes every
// role makes (/version, the self-check's access review). One keep-alive pool per
// process, over HTTP/1.1, and no generated client: the typed client-node API
// costs a process about 80 MiB and the watcher reads a handful of fields.
// Credentials only client-node understands (kube-credentials.ts says which) are
// used through client-node, loaded only then.
import { Agent, request } from 'undici';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import {
  loadCredentials,
  UnsupportedCredentials,
  type ClusterCredentials,
  type CredentialSource,
  type RequestAuth,
} from './kube-credentials.ts';
import { kubeUrl, type KubeConnection, type KubeReply, type KubeRequest } from './kube-request.ts';

export { kubeUrl, type KubeConnection, type KubeReply, type KubeRequest } from './kube-request.ts';

/** How much of an error body is kept (a Status is small; a proxy's error page may not be). */
const maxErrorBody = 4_096;

/** The failure of an answer that is not 2xx, as client-node reports one (kube-errors.ts maps it). */
export async function replyFailure(reply: KubeReply): Promise<ApiException<string>> {
  const body = (await reply.body.text().catch(() => '')).slice(0, maxErrorBody);
  return new ApiException(reply.status, `HTTP ${reply.status}`, body, {});
}

/** Sends a request and parses the JSON answer; a status other than 2xx throws an ApiException. */
export async function kubeJson<T>(connection: KubeConnection, path: string, options: KubeRequest = {}): Promise<T> {
  const reply = await connection.request(path, options);
  if (reply.status < 200 || reply.status > 299) throw await replyFailure(reply);
  return (await reply.body.json()) as T;
}

function headersOf(auth: RequestAuth, body: string | undefined): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(auth.headers))
    headers[name] = typeof value === 'string' ? value : [...value];
  if (body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

/** A pool per client certificate: an exec plugin may hand out a new one. */
function agents(credentials: ClusterCredentials): {
  readonly agentFor: (auth: RequestAuth) => Agent;
  readonly close: () => Promise<void>;
} {
  const pools = new Map<string, Agent>();
  const agentFor = (auth: RequestAuth): Agent => {
    const key = auth.cert ?? '';
    let agent = pools.get(key);
    if (!agent) {
      for (const old of pools.values()) void old.close().catch(() => undefined);
      pools.clear();
      const tls = { ...credentials.tls, ...(auth.cert && auth.key ? { cert: auth.cert, key: auth.key } : {}) };
      agent = new Agent({ connect: tls, keepAliveTimeout: 30_000 });
      pools.set(key, agent);
    }
    return agent;
  };
  return {
    agentFor,
    close: async () => {
      await Promise.all([...pools.values()].map((a) => a.destroy()));
      pools.clear();
    },
  };
}

/** A connection over credentials read without client-node. */
export function connectionOver(credentials: ClusterCredentials): KubeConnection {
  const pool = agents(credentials);
  return {
    server: credentials.server,
    async request(path, options = {}) {
      const auth = await credentials.auth();
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const answer = await request(kubeUrl(credentials.server, path, options.query), {
        method: options.method ?? 'GET',
        headers: headersOf(auth, body),
        dispatcher: pool.agentFor(auth),
        ...(body !== undefined ? { body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { status: answer.statusCode, body: answer.body };
    },
    close: () => pool.close(),
  };
}

/** What openKubeConnection reports: which way it went, for the log. */
export type ConnectionNote = (message: string) => void;

/**
 * The API server as the bot: from the kubeconfig or the service account, read
 * here; through client-node when the credentials need it (`note` says why).
 */
export async function openKubeConnection(
  source: CredentialSource,
  note: ConnectionNote = () => undefined,
): Promise<KubeConnection> {
  try {
    return connectionOver(loadCredentials(source));
  } catch (error) {
    if (!(error instanceof UnsupportedCredentials)) throw error;
    note(
      `${error.message}; the API server is reached through @kubernetes/client-node, which costs the process more memory`,
    );
    const { clientNodeConnection } = await import('./client-node-connection.ts');
    return clientNodeConnection(source);
  }
}
