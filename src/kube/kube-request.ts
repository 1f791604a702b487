// What a connection to the API server is, apart from how one is made: the
// bot's own (kube-connection.ts) and the one through client-node for
// credentials only it understands (client-node-connection.ts) both are one.
import type { Dispatcher } from 'undici';

/** One request: a path under the server, its query, and a JSON body. */
export interface KubeRequest {
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** The answer: its status, and a body the caller reads or dumps (a stream, for watches). */
export interface KubeReply {
  readonly status: number;
  readonly body: Dispatcher.ResponseData['body'];
}

/** The API server as the bot. */
export interface KubeConnection {
  /** The server's URL, for messages (only its origin is ever shown). */
  readonly server: string;
  /** Sends one request; rejects only when there is no answer (network, abort). */
  request(path: string, request?: KubeRequest): Promise<KubeReply>;
  /** Closes the pool; requests in flight are aborted. */
  close(): Promise<void>;
}

/** The URL of `path` on `server` (which may itself have a path), with the query's defined values. */
export function kubeUrl(server: string, path: string, query: KubeRequest['query'] = {}): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') url.searchParams.set(key, value);
  return url;
}
