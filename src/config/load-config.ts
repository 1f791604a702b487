import { z } from 'zod';
import { parseDuration } from '../text/duration.ts';

/** Roles a process can run; `all` runs the three in one process. */
export const roles = ['gateway', 'worker', 'watcher', 'all'] as const;
/** One of `roles`. */
export type Role = (typeof roles)[number];

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A duration such as 90s, 10m, 1h or 500ms (a bare number is seconds), in milliseconds. */
const duration = (max: string) => z.string()
  .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration such as 30s, 10m or 1h')
  .transform((v) => parseDuration(v) ?? Number.NaN)
  .pipe(z.number().min(1, 'must be longer than 0').max(24 * 3_600_000, `must be at most ${max}`));

const envSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1, 'is missing'),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)'),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
  PORT: z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0).max(65535).default(3000),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  KUBECONFIG: z.string().min(1).optional(),
  // Set by Kubernetes in every pod: where the in-cluster API server is, when there is no KUBECONFIG.
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  KUBERNETES_SERVICE_PORT: z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(1).max(65535).default(443),
  COXSWAIN_POLICY: z.string().min(1).optional(),
  COXSWAIN_CLUSTER: z.string().regex(dnsLabel, 'must be a DNS-1123 label (lowercase letters, digits, -)').default('default'),
  COXSWAIN_MAX_REPLICAS: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1).max(10_000).default(100),
  COXSWAIN_DEFAULT_NAMESPACE: z.string().regex(dnsLabel, 'must be a DNS-1123 label').default('default'),
  COXSWAIN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  COXSWAIN_ROLLOUT_TIMEOUT: duration('24h').default(600_000),
  COXSWAIN_FAILURE_GRACE: duration('24h').default(20_000),
  // The namespace the bot runs in: the watcher's leader Lease lives there.
  COXSWAIN_NAMESPACE: z.string().regex(dnsLabel, 'must be a DNS-1123 label').default('coxswain'),
  COXSWAIN_LEADER_LEASE: duration('24h').default(15_000),
  // How long a worker's hold on a running job lasts unrenewed: a lost worker's job is run again after at most 1.5× this.
  COXSWAIN_JOB_LEASE: duration('24h').pipe(z.number().min(5_000, 'must be at least 5s (shorter, a busy worker loses jobs it still runs)').max(600_000, 'must be at most 10m')).default(60_000),
  // A count, not an age: it bounds Redis memory whatever the traffic; the JSON log lines keep the full history.
  COXSWAIN_AUDIT_RETENTION: z.string().regex(/^\d+$/, 'must be a whole number of records, e.g. 100000').transform(Number)
    .pipe(z.number().min(100, 'must be at least 100 records').max(10_000_000, 'must be at most 10000000 records')).default(100_000),
});

/** The variables `coxswain audit verify` reads: it needs Redis and the cluster's name, not Slack. */
const auditEnvSchema = envSchema.pick({ REDIS_URL: true, COXSWAIN_CLUSTER: true, COXSWAIN_AUDIT_RETENTION: true });

/** Validated configuration, read once at start-up and frozen. */
export interface Config {
  readonly slack: {
    readonly signingSecret: string;
    readonly botToken: string;
    /** When set, the gateway uses Socket Mode (no public URL). */
    readonly appToken?: string;
    /** Web API base URL; every WebClient is made with it. */
    readonly apiUrl: string;
  };
  readonly port: number;
  readonly redisUrl: string;
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
  /** BullMQ's lockDuration: a worker renews its hold on a running job every half of it; a lost worker's job runs again after 1–1.5× it. */
  readonly jobLeaseMs: number;
  /** How long a job follows a rollout before reporting a timeout. Default 10 min. */
  readonly rolloutTimeoutMs: number;
  /** How long every new pod must be hopelessly failing before a rollout is called failed. Default 20 s. */
  readonly failureGraceMs: number;
  /** Audit records kept in Redis; older ones are trimmed (logged, and the chain stays verifiable). Default 100 000. */
  readonly auditRetention: number;
}

/** What the audit CLI needs: where the trail is. */
export type AuditConfig = Pick<Config, 'redisUrl' | 'cluster' | 'auditRetention'>;

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
    throw new ConfigError(`configuration: ${parsed.error.issues.map((i) => describeIssue(i, blankToUndefined)).join('; ')}`);
  }
  return parsed.data;
}

/**
 * Reads only what `coxswain audit verify` uses, validated exactly as start-up
 * validates it, so the check can run where no Slack token is (a laptop, a CronJob).
 */
export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const e = parseEnv(auditEnvSchema, env);
  return Object.freeze({ redisUrl: e.REDIS_URL, cluster: e.COXSWAIN_CLUSTER, auditRetention: e.COXSWAIN_AUDIT_RETENTION });
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

/**
 * Reads the configuration from the environment. Bad or missing values throw one
 * ConfigError naming each variable; values are never echoed, so a secret put in
 * the wrong variable does not end up in a log.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(envSchema, env);
  return Object.freeze({
    slack: Object.freeze({
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
      ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
    }),
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    ...(e.KUBECONFIG ? { kubeconfigPath: e.KUBECONFIG.split(':')[0] ?? e.KUBECONFIG } : {}),
    ...(e.KUBERNETES_SERVICE_HOST ? { inClusterServer: inClusterServer(e.KUBERNETES_SERVICE_HOST, e.KUBERNETES_SERVICE_PORT) } : {}),
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
  });
}
