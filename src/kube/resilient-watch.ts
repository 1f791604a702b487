// A watch that outlives the connection. API servers end watches on their own
// (timeoutSeconds, restarts, client-node's 30 s idle timer), so a rollout that
// takes minutes needs reconnects; a capped exponential backoff keeps a broken
// API server from being hammered. Permission and not-found errors are final,
// except after a watch has once been allowed: an API server that has just
// restarted answers 403 for a moment, until its RBAC caches are filled, so a
// refusal then is retried for `refusalGraceMs` before it counts.
import * as k8s from '@kubernetes/client-node';
import type { AppError } from '../errors.ts';
import type { KubeClients } from './kube-clients.ts';
import { httpStatusOf, toKubeError } from './kube-errors.ts';

/** Options of startResilientWatch. */
export interface ResilientWatchOptions {
  /** A list URL, e.g. /apis/apps/v1/namespaces/x/deployments. */
  readonly path: string;
  /** fieldSelector, labelSelector… */
  readonly query: Readonly<Record<string, string>>;
  readonly onEvent: (type: string, object: unknown) => void;
  /**
   * Called before each reconnect. The new watch starts without a resourceVersion
   * and resends every object as ADDED, so callers drop what it will resend.
   */
  readonly onReconnect?: () => void;
  /** A failure reconnecting cannot fix (401, 403, 404). The watch has stopped. */
  readonly onFatal: (error: AppError) => void;
  /** First reconnect delay. Default 250 ms. */
  readonly initialBackoffMs?: number;
  /** Reconnect delays double up to this. Default 5 s. */
  readonly maxBackoffMs?: number;
  /** Once a watch was allowed, refusals are retried this long before they are final. Default 30 s. */
  readonly refusalGraceMs?: number;
}

/** A running watch. */
export interface ResilientWatch {
  /** Ends the watch and any pending reconnect; safe to call twice. */
  stop(): void;
}

/** A connection that lasted this long was healthy: the next reconnect is immediate-ish again. */
const healthyAfterMs = 5_000;
const fatalStatuses = new Set([401, 403, 404]);

/** Starts watching `options.path` and keeps reconnecting until stopped. */
export function startResilientWatch(clients: KubeClients, options: ResilientWatchOptions): ResilientWatch {
  const initial = options.initialBackoffMs ?? 250;
  const max = options.maxBackoffMs ?? 5_000;
  const grace = options.refusalGraceMs ?? 30_000;
  let stopped = false;
  let failures = 0;
  let allowedOnce = false;
  let refusedSince: number | undefined;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;

  /** A refusal is final before any watch was allowed, and after refusals have lasted the grace. */
  const isFinal = (error: unknown): boolean => {
    const status = httpStatusOf(error);
    if (status === undefined || !fatalStatuses.has(status)) return false;
    refusedSince ??= Date.now();
    return !allowedOnce || Date.now() - refusedSince >= grace;
  };

  const ended = (error: unknown, startedAt: number): void => {
    if (stopped) return;
    if (isFinal(error)) {
      stopped = true;
      options.onFatal(
        toKubeError(error, {
          server: clients.server,
          ...(clients.actingAs ? { actingAs: clients.actingAs } : {}),
          what: options.path,
        }),
      );
      return;
    }
    if (Date.now() - startedAt >= healthyAfterMs) failures = 0;
    const delay = Math.min(max, initial * 2 ** failures);
    failures += 1;
    options.onReconnect?.();
    timer = setTimeout(() => {
      void connect();
    }, delay);
  };

  const onEvent = (type: string, object: unknown): void => {
    if (stopped) return;
    // An ERROR event (e.g. 410 Gone) precedes the server closing the watch; reconnect now.
    if (type === 'ERROR') {
      controller?.abort();
      return;
    }
    options.onEvent(type, object);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const startedAt = Date.now();
    try {
      controller = await new k8s.Watch(clients.config).watch(options.path, { ...options.query }, onEvent, (error) =>
        ended(error, startedAt),
      );
      allowedOnce = true;
      refusedSince = undefined;
      if (stopped) controller.abort();
    } catch (error) {
      ended(error, startedAt);
    }
  };

  void connect();
  return {
    stop(): void {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
