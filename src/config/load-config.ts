import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { derivedSealKey } from '../seal/sealer.ts';
import { parseDuration } from '../text/duration.ts';

/** Roles a process can run; `all` runs the three in one process. */
export const roles = ['gateway', 'worker', 'watcher', 'all'] as const;
/** One of `roles`. */
export type Role = (typeof roles)[number];

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A duration such as 90s, 10m, 1h or 500ms (a bare number is seconds), in milliseconds. */
const duration = (max: string) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration such as 30s, 10m or 1h')
    .transform((v) => parseDuration(v) ?? Number.NaN)
    .pipe(
      z
        .number()
        .min(1, 'must be longer than 0')
        .max(24 * 3_600_000, `must be at most ${max}`),
    );

/** A comma-separated list of values, each checked by `item`; blanks around commas are ignored. */
const listOf = (item: z.ZodString, what: string) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(item, { error: `must be a comma-separated list of ${what}` }).min(1, `must name at least one of ${what}`),
    );

/** `20/1m`: at most 20 at once, refilled at 20 per minute (a token bucket); `off` for no limit. */
const rate = z
  .string()
  .regex(/^(off|\d+\/\d+(s|m|h))$/, 'must be a rate such as 20/1m (20 at once, 20 more per minute) or off')
  .transform((v) => {
    if (v === 'off') return undefined;
    const [count = '0', per = '1m'] = v.split('/');
    return { capacity: Number(count), perMs: parseDuration(per) ?? 60_000 };
  })
  .pipe(
    z
      .object({
        capacity: z.number().min(1, 'must allow at least 1').max(100_000),
        perMs: z
          .number()
          .min(1000)
          .max(24 * 3_600_000),
      })
      .optional(),
  );

/** The namespaces no change may touch when COXSWAIN_PROTECTED_NAMESPACES is not set (the bot's own is always added). */
export const defaultProtectedNamespaces = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

const envSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1, 'is missing'),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)'),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'must be an app-level token (xapp-…)')
    .optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
  // The workspaces (T…) or Enterprise Grid organizations (E…) the bot serves; unset: the bot token's own workspace.
  SLACK_TEAM_ID: listOf(
    z.string().regex(/^[TE][A-Z0-9]{2,}$/),
    'Slack workspace IDs (T…) or organization IDs (E…)',
  ).optional(),
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(0)
    .max(65535)
    .default(3000),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  // The password of Redis's ACL user (the user goes in REDIS_URL: redis://coxswain@host:6379), so the URL need not hold it.
  REDIS_PASSWORD: z.string().min(1).optional(),
  // PEM file of the CA that signed the Redis server's certificate, for rediss:// to a private CA.
  COXSWAIN_REDIS_CA: z.string().min(1).optional(),
  KUBECONFIG: z.string().min(1).optional(),
  // Set by Kubernetes in every pod: where the in-cluster API server is, when there is no KUBECONFIG.
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  KUBERNETES_SERVICE_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(1)
    .max(65535)
    .default(443),
  COXSWAIN_POLICY: z.string().min(1).optional(),
  COXSWAIN_CLUSTER: z
    .string()
    .regex(dnsLabel, 'must be a DNS-1123 label (lowercase letters, digits, -)')
    .default('default'),
  COXSWAIN_MAX_REPLICAS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(10_000)
    .default(100),
  COXSWAIN_DEFAULT_NAMESPACE: z.string().regex(dnsLabel, 'must be a DNS-1123 label').default('default'),
  COXSWAIN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  COXSWAIN_ROLLOUT_TIMEOUT: duration('24h').default(600_000),
  COXSWAIN_FAILURE_GRACE: duration('24h').default(20_000),
  // The namespace the bot runs in: the watcher's leader Lease lives there.
  COXSWAIN_NAMESPACE: z.string().regex(dnsLabel, 'must be a DNS-1123 label').default('coxswain'),
  COXSWAIN_LEADER_LEASE: duration('24h').default(15_000),
  // Changes there are refused whatever the policy says; the bot's own namespace is always added.
  COXSWAIN_PROTECTED_NAMESPACES: listOf(z.string().regex(dnsLabel), 'namespace names').default([
    ...defaultProtectedNamespaces,
  ]),
  // The longest a /k8s lock hold lasts from when it was first taken, renewals included.
  COXSWAIN_MAX_HOLD: z
    .string()
    .regex(/^\d+(m|h|d)$/, 'must be a duration such as 8h or 1d')
    .transform((v) => parseDuration(v) ?? Number.NaN)
    .pipe(
      z
        .number()
        .min(60_000, 'must be at least 1m')
        .max(7 * 86_400_000, 'must be at most 7d'),
    )
    .default(24 * 3_600_000),
  COXSWAIN_RATE_USER: rate.default({ capacity: 30, perMs: 60_000 }),
  COXSWAIN_RATE_CHANNEL: rate.default({ capacity: 120, perMs: 60_000 }),
  // The key that seals jobs and approvals in Redis (a Secret); unset: derived from SLACK_SIGNING_SECRET.
  COXSWAIN_SEAL_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  // During a rotation: the key before, still accepted until COXSWAIN_SEAL_KEY_PREVIOUS_UNTIL (default 24 h after
  // start-up).
  COXSWAIN_SEAL_KEY_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
  COXSWAIN_SEAL_KEY_PREVIOUS_UNTIL: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-12-06T12:00:00Z' })
    .optional(),
  COXSWAIN_MAX_QUEUED_PER_USER: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1_000_000)
    .default(10),
  // How long a worker's hold on a running job lasts unrenewed: a lost worker's job is run again after at most 1.5×
  // this.
  COXSWAIN_JOB_LEASE: duration('24h')
    .pipe(
      z
        .number()
        .min(5_000, 'must be at least 5s (shorter, a busy worker loses jobs it still runs)')
        .max(600_000, 'must be at most 10m'),
    )
    .default(60_000),
  // A count, not an age: it bounds Redis memory whatever the traffic; the JSON log lines keep the full history.
  COXSWAIN_AUDIT_RETENTION: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of records, e.g. 100000')
    .transform(Number)
    .pipe(z.number().min(100, 'must be at least 100 records').max(10_000_000, 'must be at most 10000000 records'))
    .default(100_000),
  // How often the watcher's leader verifies the audit chain (its verdict is in /metrics).
  COXSWAIN_AUDIT_VERIFY_EVERY: duration('24h')
    .pipe(z.number().min(60_000, 'must be at least 1m (each verification reads the whole chain)'))
    .default(15 * 60_000),
});

/** The variables `coxswain audit verify` reads: it needs Redis and the cluster's name, not Slack. */
const auditEnvSchema = envSchema.pick({
  REDIS_URL: true,
  REDIS_PASSWORD: true,
  COXSWAIN_REDIS_CA: true,
  COXSWAIN_CLUSTER: true,
  COXSWAIN_AUDIT_RETENTION: true,
});

/** The variables `coxswain check-policy` reads: which namespaces are protected, to warn of rules that reach them. */
const policyCheckEnvSchema = envSchema.pick({ COXSWAIN_NAMESPACE: true, COXSWAIN_PROTECTED_NAMESPACES: true });

/**
 * The variables `coxswain rbac` reads: the protected namespaces, the bot's own, and the cluster to list namespaces
 * from.
 */
const rbacEnvSchema = envSchema.pick({
  COXSWAIN_NAMESPACE: true,
  COXSWAIN_PROTECTED_NAMESPACES: true,
  KUBECONFIG: true,
  KUBERNETES_SERVICE_HOST: true,
  KUBERNETES_SERVICE_PORT: true,
});

/** What `coxswain rbac` needs. */
export interface RbacConfig {
  readonly protectedNamespaces: readonly string[];
  /** The bot's namespace: its ServiceAccount's, unless --service-account says otherwise. */
  readonly namespace: string;
  readonly kubeconfigPath?: string;
  readonly inClusterServer?: string;
}

/** Reads what `coxswain rbac` needs, validated as start-up validates it. */
export function loadRbacConfig(env: NodeJS.ProcessEnv = process.env): RbacConfig {
  const e = parseEnv(rbacEnvSchema, env);
  return Object.freeze({
    protectedNamespaces: loadProtectedNamespaces(env),
    namespace: e.COXSWAIN_NAMESPACE,
    ...(e.KUBECONFIG ? { kubeconfigPath: e.KUBECONFIG.split(':')[0] ?? e.KUBECONFIG } : {}),
    ...(e.KUBERNETES_SERVICE_HOST
      ? { inClusterServer: inClusterServer(e.KUBERNETES_SERVICE_HOST, e.KUBERNETES_SERVICE_PORT) }
      : {}),
  });
}

/** Validated configuration, read once at start-up and frozen. */
export interface Config {
  readonly slack: {
    readonly signingSecret: string;
    readonly botToken: string;
    /** When set, the gateway uses Socket Mode (no public URL). */
    readonly appToken?: string;
    /** Web API base URL; every WebClient is made with it. */
    readonly apiUrl: string;
    /** The workspaces (T…) and organizations (E…) the bot serves; empty: the bot token's own workspace (auth.test). */
    readonly teamIds: readonly string[];
  };
  readonly port: number;
  readonly redisUrl: string;
  /**
   * How to reach Redis besides its URL: the ACL user's password, the CA of its TLS certificate (PEM, read at start-up).
   */
  readonly redis: RedisAccess;
  /** Path of a kubeconfig; absent means the in-cluster service account. */
  readonly kubeconfigPath?: string;
  /** https://host:port of the API server from inside a pod (KUBERNETES_SERVICE_HOST/PORT). */
  readonly inClusterServer?: string;
  readonly policyPath?: string;
  /** This cluster's name; it names the queue, so one worker set serves one cluster. */
  readonly cluster: string;
  /** Upper bound accepted by `scale`. */
  readonly maxReplicas: number;
  readonly defaultNamespace: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The bot's own namespace (the watcher's Lease). */
  readonly namespace: string;
  /** How long a watcher's leadership lasts without renewal; a standby takes over after it. */
  readonly leaderLeaseMs: number;
  /**
   * BullMQ's lockDuration: a worker renews its hold on a running job every half of it; a lost worker's job runs again
   * after 1–1.5× it.
   */
  readonly jobLeaseMs: number;
  /** How long a job follows a rollout before reporting a timeout. Default 10 min. */
  readonly rolloutTimeoutMs: number;
  /** How long every new pod must be hopelessly failing before a rollout is called failed. Default 20 s. */
  readonly failureGraceMs: number;
  /** Audit records kept in Redis; older ones are trimmed (logged, and the chain stays verifiable). Default 100 000. */
  readonly auditRetention: number;
  /** How often the watcher's leader verifies the audit chain. Default 15 min. */
  readonly auditVerifyEveryMs: number;
  /** Namespaces no change may touch, whatever the policy says: the system namespaces and the bot's own. */
  readonly protectedNamespaces: readonly string[];
  /** The longest a hold (/k8s lock) lasts from when it was first taken, renewals included. Default 24 h. */
  readonly maxHoldMs: number;
  /** Requests per person and per channel (token buckets); undefined: no limit. */
  readonly rates: { readonly user?: Rate; readonly channel?: Rate };
  /** Jobs one person may have queued or running at once. Default 10. */
  readonly maxQueuedPerUser: number;
  /**
   * The key that seals jobs and approvals in Redis, and during a rotation the previous one with the end of its grace.
   */
  readonly seal: SealConfig;
}

/** The seal keys. `derived`: no COXSWAIN_SEAL_KEY, so the key comes from the signing secret. */
export interface SealConfig {
  readonly key: string;
  readonly derived: boolean;
  readonly previous?: { readonly key: string; readonly untilMs: number };
}

/** A token bucket: `capacity` requests at once, refilled at `capacity` per `perMs`. */
export interface Rate {
  readonly capacity: number;
  readonly perMs: number;
}

/** What the audit CLI needs: where the trail is. */
export type AuditConfig = Pick<Config, 'redisUrl' | 'redis' | 'cluster' | 'auditRetention'>;

/** Redis credentials and trust beyond the URL. */
export interface RedisAccess {
  readonly password?: string;
  /** The CA certificate(s) that sign the server's TLS certificate (rediss://), as PEM text. */
  readonly ca?: string;
}

/** Reads the CA file named by COXSWAIN_REDIS_CA; a file that cannot be read or is no certificate stops start-up. */
function redisAccessOf(e: {
  REDIS_PASSWORD?: string | undefined;
  COXSWAIN_REDIS_CA?: string | undefined;
}): RedisAccess {
  let ca: string | undefined;
  if (e.COXSWAIN_REDIS_CA) {
    try {
      ca = readFileSync(e.COXSWAIN_REDIS_CA, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `configuration: COXSWAIN_REDIS_CA cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new ConfigError('configuration: COXSWAIN_REDIS_CA is not a PEM certificate file');
  }
  return Object.freeze({ ...(e.REDIS_PASSWORD ? { password: e.REDIS_PASSWORD } : {}), ...(ca ? { ca } : {}) });
}

/** A configuration problem, phrased as one line that names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = issue.path.join('.');
  return env[name] === undefined ? `${name} is missing` : `${name} ${issue.message}`;
}

function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = schema.safeParse(blankToUndefined);
  if (!parsed.success) {
    throw new ConfigError(
      `configuration: ${parsed.error.issues.map((i) => describeIssue(i, blankToUndefined)).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Reads only what `coxswain audit verify` uses, validated exactly as start-up
 * validates it, so the check can run where no Slack token is (a laptop, a CronJob).
 */
export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const e = parseEnv(auditEnvSchema, env);
  return Object.freeze({
    redisUrl: e.REDIS_URL,
    redis: redisAccessOf(e),
    cluster: e.COXSWAIN_CLUSTER,
    auditRetention: e.COXSWAIN_AUDIT_RETENTION,
  });
}

/**
 * The protected namespaces as `coxswain start` would compute them, for `coxswain check-policy` (no Slack variables
 * needed).
 */
export function loadProtectedNamespaces(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const e = parseEnv(policyCheckEnvSchema, env);
  return Object.freeze([...new Set([...e.COXSWAIN_PROTECTED_NAMESPACES, e.COXSWAIN_NAMESPACE])]);
}

/**
 * The environment `coxswain console` runs the bot with: everything but the Slack
 * variables, which the console replaces with its in-process Slack's (a real token
 * in the shell is never used, nor sent anywhere).
 */
export function consoleEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SLACK_')));
}

/** The in-cluster API server's URL; an IPv6 address goes in brackets. */
function inClusterServer(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The request rates, without the ones set to `off`. */
function ratesOf(user: Rate | undefined, channel: Rate | undefined): Config['rates'] {
  return Object.freeze({ ...(user ? { user } : {}), ...(channel ? { channel } : {}) });
}

/** How long the previous seal key is accepted when COXSWAIN_SEAL_KEY_PREVIOUS_UNTIL is not set. */
const defaultSealGraceMs = 24 * 3_600_000;

/** The seal keys, the current one derived from the signing secret when none is set. */
function sealOf(e: z.infer<typeof envSchema>): SealConfig {
  const previous = e.COXSWAIN_SEAL_KEY_PREVIOUS
    ? {
        key: e.COXSWAIN_SEAL_KEY_PREVIOUS,
        untilMs: e.COXSWAIN_SEAL_KEY_PREVIOUS_UNTIL
          ? Date.parse(e.COXSWAIN_SEAL_KEY_PREVIOUS_UNTIL)
          : Date.now() + defaultSealGraceMs,
      }
    : undefined;
  return Object.freeze({
    key: e.COXSWAIN_SEAL_KEY ?? derivedSealKey(e.SLACK_SIGNING_SECRET),
    derived: e.COXSWAIN_SEAL_KEY === undefined,
    ...(previous ? { previous: Object.freeze(previous) } : {}),
  });
}

/** The Slack part of the configuration. */
function slackOf(e: z.infer<typeof envSchema>): Config['slack'] {
  return Object.freeze({
    signingSecret: e.SLACK_SIGNING_SECRET,
    botToken: e.SLACK_BOT_TOKEN,
    apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
    ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
    teamIds: Object.freeze([...(e.SLACK_TEAM_ID ?? [])]),
  });
}

/**
 * Reads the configuration from the environment. Bad or missing values throw one
 * ConfigError naming each variable; values are never echoed, so a secret put in
 * the wrong variable does not end up in a log.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(envSchema, env);
  return Object.freeze({
    slack: slackOf(e),
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    redis: redisAccessOf(e),
    ...(e.KUBECONFIG ? { kubeconfigPath: e.KUBECONFIG.split(':')[0] ?? e.KUBECONFIG } : {}),
    ...(e.KUBERNETES_SERVICE_HOST
      ? { inClusterServer: inClusterServer(e.KUBERNETES_SERVICE_HOST, e.KUBERNETES_SERVICE_PORT) }
      : {}),
    ...(e.COXSWAIN_POLICY ? { policyPath: e.COXSWAIN_POLICY } : {}),
    cluster: e.COXSWAIN_CLUSTER,
    maxReplicas: e.COXSWAIN_MAX_REPLICAS,
    defaultNamespace: e.COXSWAIN_DEFAULT_NAMESPACE,
    logLevel: e.COXSWAIN_LOG_LEVEL,
    rolloutTimeoutMs: e.COXSWAIN_ROLLOUT_TIMEOUT,
    failureGraceMs: e.COXSWAIN_FAILURE_GRACE,
    namespace: e.COXSWAIN_NAMESPACE,
    leaderLeaseMs: e.COXSWAIN_LEADER_LEASE,
    jobLeaseMs: e.COXSWAIN_JOB_LEASE,
    auditRetention: e.COXSWAIN_AUDIT_RETENTION,
    auditVerifyEveryMs: e.COXSWAIN_AUDIT_VERIFY_EVERY,
    protectedNamespaces: loadProtectedNamespaces(env),
    maxHoldMs: e.COXSWAIN_MAX_HOLD,
    rates: ratesOf(e.COXSWAIN_RATE_USER, e.COXSWAIN_RATE_CHANNEL),
    maxQueuedPerUser: e.COXSWAIN_MAX_QUEUED_PER_USER,
    seal: sealOf(e),
  });
}
