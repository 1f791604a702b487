import { z } from 'zod';

/** Roles a process can run; `all` runs the three in one process. */
export const roles = ['gateway', 'worker', 'watcher', 'all'] as const;
/** One of `roles`. */
export type Role = (typeof roles)[number];

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as 90s, 10m, 1h or 500ms (a bare number is seconds), in milliseconds. */
const duration = (max: string) => z.string()
  .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration such as 30s, 10m or 1h')
  .transform((v) => Number(/^\d+/.exec(v)?.[0]) * (units[/[a-z]+$/.exec(v)?.[0] ?? 's'] ?? 1000))
  .pipe(z.number().min(1, 'must be longer than 0').max(units.h! * 24, `must be at most ${max}`));

const envSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1, 'is missing'),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)'),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
  PORT: z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0).max(65535).default(3000),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  KUBECONFIG: z.string().min(1).optional(),
  COXSWAIN_POLICY: z.string().min(1).optional(),
  COXSWAIN_CLUSTER: z.string().regex(dnsLabel, 'must be a DNS-1123 label (lowercase letters, digits, -)').default('default'),
  COXSWAIN_MAX_REPLICAS: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1).max(10_000).default(100),
  COXSWAIN_DEFAULT_NAMESPACE: z.string().regex(dnsLabel, 'must be a DNS-1123 label').default('default'),
  COXSWAIN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  COXSWAIN_ROLLOUT_TIMEOUT: duration('24h').default(600_000),
  COXSWAIN_FAILURE_GRACE: duration('24h').default(20_000),
});

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
  readonly policyPath?: string;
  /** This cluster's name; it names the queue, so one worker set serves one cluster. */
  readonly cluster: string;
  /** Upper bound accepted by `scale`. */
  readonly maxReplicas: number;
  readonly defaultNamespace: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How long a job follows a rollout before reporting a timeout. Default 10 min. */
  readonly rolloutTimeoutMs: number;
  /** How long every new pod must be hopelessly failing before a rollout is called failed. Default 20 s. */
  readonly failureGraceMs: number;
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

/**
 * Reads the configuration from the environment. Bad or missing values throw one
 * ConfigError naming each variable; values are never echoed, so a secret put in
 * the wrong variable does not end up in a log.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = envSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    throw new ConfigError(`configuration: ${parsed.error.issues.map((i) => describeIssue(i, blankToUndefined)).join('; ')}`);
  }
  const e = parsed.data;
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
    ...(e.COXSWAIN_POLICY ? { policyPath: e.COXSWAIN_POLICY } : {}),
    cluster: e.COXSWAIN_CLUSTER,
    maxReplicas: e.COXSWAIN_MAX_REPLICAS,
    defaultNamespace: e.COXSWAIN_DEFAULT_NAMESPACE,
    logLevel: e.COXSWAIN_LOG_LEVEL,
    rolloutTimeoutMs: e.COXSWAIN_ROLLOUT_TIMEOUT,
    failureGraceMs: e.COXSWAIN_FAILURE_GRACE,
  });
}
