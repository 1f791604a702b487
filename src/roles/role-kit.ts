// What the roles of one process share: the process-wide services start-roles.ts
// opens once, and the Redis health helpers each role uses for /readyz.
import { Redis, type RedisOptions } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Config, RedisAccess, Role } from '../config/load-config.ts';
import type { ClusterAccess } from '../kube/create-kube-api.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { KubeConnection } from '../kube/kube-connection.ts';
import type { Log } from '../log/create-logger.ts';
import type { Authorizer } from '../policy/authorizer.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { Sealer } from '../seal/sealer.ts';
import type { CommandRegistry } from '../registry/command-registry.ts';
import type { AnyCommandSpec } from '../registry/command-spec.ts';
import type { Readiness } from '../metrics/health-server.ts';

/** A running set of roles. */
export interface RunningRoles {
  /** This role's part of /readyz: what it needs to work (Redis, the API server). */
  readonly ready?: Readiness;
  /** The gateway's HTTP port, when it runs. */
  readonly port?: number;
  stop(): Promise<void>;
}

/** Options of startRoles. */
export interface StartRolesOptions {
  readonly config: Config;
  readonly role: Role;
  /**
   * Every /k8s command (commands/index.ts's allCommands); their schemas are built once, with the configuration's
   * bounds.
   */
  readonly commands: readonly AnyCommandSpec[];
  readonly log: Log;
  /**
   * Wraps the worker's KubeApi, e.g. to time every call in a benchmark.
   * Default: none (the KubeApi is used as created).
   */
  readonly wrapKube?: (api: KubeApi) => KubeApi;
}

/** What start-roles.ts opens once per process and hands to each role. */
export interface Shared extends StartRolesOptions {
  readonly registry: CommandRegistry;
  readonly policy: PolicyStore;
  readonly authorizer: Authorizer;
  readonly audit: AuditLog;
  /** /readyz of the whole process: every role's readiness. */
  readonly ready: Readiness;
  /** The cluster through client-node's typed API (the worker's); loaded on first use, once per process. */
  readonly access: () => Promise<ClusterAccess>;
  /** The API server as the bot, raw JSON (the watcher's pods and Lease, the probes); opened once per process. */
  readonly connection: () => Promise<KubeConnection>;
  /** Seals what the bot queues and stores in Redis, and checks it before acting on it. */
  readonly sealer: Sealer;
}

/**
 * How long to wait before reconnecting to Redis, by attempt: 100 ms more each time up to 1 s, plus up to 100 ms of
 * jitter so a pod's connections do not knock together. ioredis 6 backs off to 5 s by default; after an outage that
 * left every connection of a role on its own 5 s timer, a Redis back for seconds still had the gateway refusing
 * commands ("could not be queued") while /readyz said ready. Every connection is on this one cadence instead.
 */
export const redisReconnectDelay = (attempt: number): number =>
  Math.min(100 * attempt, 1000) + Math.floor(Math.random() * 100);

/**
 * A connection to the bot's Redis: REDIS_URL, with the ACL user's password (REDIS_PASSWORD) when the URL holds none,
 * and for rediss:// the CA that signs the server's certificate (COXSWAIN_REDIS_CA; default: the system's CAs). Every
 * connection of every role is made here, so none of them forgets TLS, the password or the reconnect cadence.
 */
export function openRedis(
  config: { readonly redisUrl: string; readonly redis: RedisAccess },
  options: RedisOptions = {},
): Redis {
  const tls = config.redis.ca && config.redisUrl.startsWith('rediss:') ? { tls: { ca: config.redis.ca } } : {};
  // Into the URL, not the options: ioredis takes the URL's (empty) password over an option's.
  const url = new URL(config.redisUrl);
  if (config.redis.password && !url.password) url.password = encodeURIComponent(config.redis.password);
  return new Redis(url.toString(), { retryStrategy: redisReconnectDelay, ...options, ...tls });
}

/**
 * Redis answers a PING within a second. A connection that waits for Redis forever
 * (BullMQ's) would hold the PING in its offline queue, so a connection that is not
 * ready is not asked at all.
 */
export const redisPing = (redis: Redis) => async (): Promise<boolean> => {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(''), 1000);
  });
  try {
    return (await Promise.race([redis.ping().catch(() => ''), late])) === 'PONG';
  } finally {
    clearTimeout(timer);
  }
};

/** Resolves when the connection is ready, or after `ms` (the caller carries on; /readyz tells the truth). */
export function redisReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}

/** Redis URL without its password, for messages. */
export function safeRedisUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
