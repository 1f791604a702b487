// Composition root and command-line entry of Coxswain.
import { argv, exit, stderr, stdout } from 'node:process';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { allCommands } from '../commands/index.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { AppError } from './errors.ts';
import type { ChainVerdict } from './audit/verify-chain.ts';
import {
  ConfigError,
  consoleEnvironment,
  loadAuditConfig,
  loadConfig,
  loadProtectedNamespaces,
  loadRbacConfig,
  roles,
  type RbacConfig,
  type Role,
} from './config/load-config.ts';
import { createLogger } from './log/create-logger.ts';
import { explainPolicy } from './policy/explain-policy.ts';
import { loadPolicy, PolicyError } from './policy/load-policy.ts';
import { absentNote, planWriteGrants, renderWriteGrants, type ServiceAccountRef } from './policy/write-grants.ts';
import { openRedis } from './roles/role-kit.ts';
import { safeRedisUrl, startRoles } from './roles/start-roles.ts';

async function start({ values }: Parsed): Promise<number> {
  const role = values['role'] ?? 'all';
  if (typeof role !== 'string' || !roles.includes(role as Role)) {
    throw new ConfigError(`--role must be one of ${roles.join(', ')}`);
  }
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, base: { role, cluster: config.cluster } });
  const starting = startRoles({ config, role: role as Role, commands: allCommands, log });
  // Installed before start-up finishes: a SIGTERM while starting still stops cleanly, once started.
  const stop = (signal: string): void => {
    log('info', 'stopping', { signal });
    starting
      .then((running) => running.stop())
      .then(
        () => exit(0),
        (error: unknown) => {
          log('error', 'stop failed', { error: String(error) });
          exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await starting;
  return -1;
}

async function checkPolicy({ positionals: [file = ''] }: Parsed): Promise<number> {
  try {
    stdout.write(
      `${explainPolicy(await loadPolicy(file), file, { protectedNamespaces: loadProtectedNamespaces() })}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    stderr.write(`${file}: not valid\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
}

/** The namespaces globs are resolved against: given, or listed from the cluster (KUBECONFIG, as the admin). */
async function knownNamespaces({ values }: Parsed, config: RbacConfig): Promise<string[]> {
  const given = values['namespaces'];
  if (typeof given === 'string')
    return given
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  if (values['from-cluster'] !== true) return [];
  const { openKubeConnection } = await import('./kube/kube-connection.ts');
  const { listNamespaces } = await import('./kube/list-namespaces.ts');
  const connection = await openKubeConnection({
    ...(config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : {}),
    ...(config.inClusterServer ? { inClusterServer: config.inClusterServer } : {}),
  });
  try {
    return await listNamespaces(connection);
  } finally {
    await connection.close();
  }
}

function serviceAccountOf({ values }: Parsed, config: RbacConfig): ServiceAccountRef | undefined {
  const given = values['service-account'];
  const [namespace = '', name = ''] = (typeof given === 'string' ? given : `${config.namespace}/coxswain`).split('/');
  return /^[a-z0-9][-a-z0-9]*$/.test(namespace) && /^[a-z0-9][-a-z0-9.]*$/.test(name) ? { namespace, name } : undefined;
}

/**
 * `coxswain rbac FILE`: the RoleBindings that give the bot write rights where the policy lets people change things, and
 * nowhere else.
 */
async function rbac(parsed: Parsed): Promise<number> {
  const [file = ''] = parsed.positionals;
  const config = loadRbacConfig();
  const serviceAccount = serviceAccountOf(parsed, config);
  if (!serviceAccount) return refuse('rbac', '--service-account must be NAMESPACE/NAME');
  if (parsed.values['namespaces'] !== undefined && parsed.values['from-cluster'] === true) {
    return refuse('rbac', 'give --namespaces or --from-cluster, not both');
  }
  try {
    const plan = planWriteGrants(
      await loadPolicy(file),
      { protectedNamespaces: config.protectedNamespaces },
      await knownNamespaces(parsed, config),
      parsed.values['from-cluster'] === true,
    );
    if (plan.unresolved.length > 0) {
      stderr.write(
        `${file}: no namespace given matches ${plan.unresolved.map((g) => `"${g}"`).join(', ')}: list the namespaces these globs should reach with --namespaces a,b,… or read them from the cluster with --from-cluster; nothing was written\n`,
      );
      return 1;
    }
    // Said on stderr too: the YAML usually goes straight into kubectl, where nobody reads its comments.
    if (plan.absent.length > 0) stderr.write(`coxswain rbac: ${absentNote(plan.absent)}\n`);
    stdout.write(renderWriteGrants(plan, serviceAccount, file));
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      stderr.write(`coxswain rbac: could not list the cluster's namespaces: ${error.userMessage}\n`);
      return 1;
    }
    if (!(error instanceof PolicyError)) throw error;
    stderr.write(`${file}: not valid\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
}

function reportVerdict(verdict: ChainVerdict, cluster: string): number {
  if (verdict.ok) {
    const span = verdict.firstId ? ` (${verdict.firstId} … ${verdict.lastId ?? verdict.firstId})` : '';
    const anchored = verdict.anchoredAt
      ? `; older records were trimmed, the first kept links to ${verdict.anchoredAt}`
      : '';
    stdout.write(`audit trail of cluster ${cluster}: intact, ${verdict.count} records${span}${anchored}\n`);
    return 0;
  }
  const b = verdict.broken;
  stderr.write(
    `audit trail of cluster ${cluster}: BROKEN at ${b.id}: ${b.problem}\n  expected ${b.expected}\n  found    ${b.found}\n  ${verdict.count} records before it are intact\n`,
  );
  return 1;
}

/** `coxswain audit verify`: reads only REDIS_URL and COXSWAIN_CLUSTER, so it runs where no Slack token is. */
async function audit({ positionals }: Parsed): Promise<number> {
  if (positionals[0] !== 'verify') return refuse('audit', `unknown action '${positionals[0] ?? ''}'`);
  const config = loadAuditConfig();
  const redis = openRedis(config, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return reportVerdict(
      await createAuditLog({ redis, cluster: config.cluster, log: () => undefined }).verify(),
      config.cluster,
    );
  } catch (error) {
    stderr.write(
      `coxswain: could not read the audit trail from ${safeRedisUrl(config.redisUrl)}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    redis.disconnect();
  }
}

/** coxswain console: the real bot against the current kubeconfig and Redis, Slack emulated in-process. */
async function openConsole({ values, positionals: commands }: Parsed): Promise<number> {
  const as = typeof values['as'] === 'string' ? values['as'] : undefined;
  const channel = typeof values['channel'] === 'string' ? values['channel'] : undefined;
  const given = values['group'];
  const groups = Object.fromEntries(
    (Array.isArray(given) ? given : [])
      .map((g) => String(g).split('='))
      .map(([id = '', members = '']) => [id, members.split(',').filter(Boolean)]),
  );
  // Imported here: it brings the console's in-process Slack, which no deployed process needs.
  const { runConsole } = await import('./console/run-console.ts');
  await runConsole({
    env: consoleEnvironment(),
    specs: allCommands,
    commands,
    groups,
    ...(as ? { as } : {}),
    ...(channel ? { channel } : {}),
  });
  return 0;
}

/** What parseArgs made of a verb's arguments. */
interface Parsed {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** One verb of the command line: its usage, what it accepts, and what runs it. */
interface Verb {
  /** After `coxswain `: the verb and its arguments. */
  readonly synopsis: string;
  readonly summary: string;
  /** The options of `coxswain VERB --help`: [how it is written, what it does]. */
  readonly details?: readonly (readonly [string, string])[];
  readonly options?: ParseArgsOptionsConfig;
  /** How many positional arguments it takes: [fewest, most]. */
  readonly positionals: readonly [number, number];
  run(parsed: Parsed): Promise<number>;
}

/** The command-line contract of DESIGN.md; kept in one place so help and parsing agree. */
const verbs: Readonly<Record<string, Verb>> = {
  start: {
    synopsis: 'start [--role gateway|worker|watcher|all]',
    summary: 'run the bot (default: all roles in one process)',
    details: [['--role ROLE', 'gateway, worker, watcher, or all (the default); settings come from the environment']],
    options: { role: { type: 'string' } },
    positionals: [0, 0],
    run: start,
  },
  console: {
    synopsis: 'console [--as U…] [--channel C…] [--group S…=U…,U…] [LINE…]',
    summary: 'the bot in a terminal, no Slack needed (LINEs: run them and exit)',
    details: [
      ['--as U…', 'the Slack user you type as'],
      ['--channel C…', 'the channel you type in'],
      ['--group S…=U…,U…', 'a user group and its members (repeat for more)'],
      ['LINE', 'a command as typed after /k8s, e.g. "get pods -n prod"; none: read them interactively'],
    ],
    options: { as: { type: 'string' }, channel: { type: 'string' }, group: { type: 'string', multiple: true } },
    positionals: [0, Infinity],
    run: openConsole,
  },
  'check-policy': {
    synopsis: 'check-policy FILE',
    summary: 'validate a policy file and explain it',
    positionals: [1, 1],
    run: checkPolicy,
  },
  rbac: {
    synopsis: 'rbac FILE [--namespaces a,b,…|--from-cluster] [--service-account NS/NAME]',
    summary: "the bot's write grants (RoleBindings) the policy needs, as YAML",
    details: [
      ['--namespaces a,b,…', "the namespaces the policy's globs are matched against"],
      ['--from-cluster', "match them against the cluster's namespaces (KUBECONFIG, as an admin)"],
      ['--service-account NS/NAME', "the bot's ServiceAccount (default: coxswain/coxswain)"],
    ],
    options: {
      namespaces: { type: 'string' },
      'from-cluster': { type: 'boolean' },
      'service-account': { type: 'string' },
    },
    positionals: [1, 1],
    run: rbac,
  },
  audit: {
    synopsis: 'audit verify',
    summary: "check the audit trail's hash chain (needs only REDIS_URL, COXSWAIN_CLUSTER)",
    positionals: [1, 1],
    run: audit,
  },
};

const column = 55;
const line = (left: string, right: string): string =>
  left.length + 2 <= column ? `  ${left.padEnd(column - 2)}${right}` : `  ${left}\n${' '.repeat(column)}${right}`;

export const usage = `coxswain — Slack ChatOps for Kubernetes

usage:
${[...Object.values(verbs).map((v) => line(`coxswain ${v.synopsis}`, v.summary)), line('coxswain help', 'this text')].join('\n')}
${line('coxswain VERB --help', 'what VERB takes')}

configuration (environment):
  SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL,
  PORT, REDIS_URL, KUBECONFIG, COXSWAIN_POLICY, COXSWAIN_CLUSTER, COXSWAIN_MAX_REPLICAS, COXSWAIN_AUDIT_RETENTION
`;

/** `coxswain VERB --help`. */
function verbUsage(name: string): string {
  const verb = verbs[name];
  if (!verb) return usage;
  const rows = [...(verb.details ?? []), ['-h, --help', 'this text'] as const];
  const width = Math.max(...rows.map(([how]) => how.length)) + 2;
  const details = rows.map(([how, what]) => `  ${how.padEnd(width)}${what}`).join('\n');
  const summary = `${verb.summary.charAt(0).toUpperCase()}${verb.summary.slice(1)}`;
  return `usage: coxswain ${verb.synopsis}\n\n${summary}.\n\n${details}\n`;
}

/** A verb's arguments that it cannot take: what is wrong, then its usage; exit code 2, nothing done. */
function refuse(name: string, problem: string): number {
  stderr.write(`coxswain ${name}: ${problem}\n\n${verbUsage(name)}`);
  return 2;
}

/** parseArgs's own wording is long and speaks of its API; say which argument, in ours. */
function argumentProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const what = /'([^']*)'/.exec(error instanceof Error ? error.message : '')?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${what}'`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option '${what.split(' ')[0] ?? what}' needs a value`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument '${what}'`;
  throw error;
}

async function runVerb(name: string, verb: Verb, args: readonly string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...verb.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return refuse(name, argumentProblem(error));
  }
  if (parsed.values['help'] === true) {
    stdout.write(verbUsage(name));
    return 0;
  }
  const [fewest, most] = verb.positionals;
  const count = parsed.positionals.length;
  if (count > most) return refuse(name, `unexpected argument '${parsed.positionals[most] ?? ''}'`);
  if (count < fewest) return refuse(name, `missing ${verb.synopsis.split(' ')[count + 1] ?? 'argument'}`);
  return verb.run(parsed);
}

/** Runs the command line; resolves to an exit code, or -1 to keep running. */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    stdout.write(rest[0] && command === 'help' ? verbUsage(rest[0]) : usage);
    return 0;
  }
  const verb = verbs[command];
  if (verb) return runVerb(command, verb, rest);
  stderr.write(`coxswain: unknown command '${command}'\n\n${usage}`);
  return 2;
}

main(argv.slice(2)).then(
  (code) => {
    if (code >= 0) exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) stderr.write(`coxswain: ${error.message}\n`);
    else stderr.write(`coxswain: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    exit(error instanceof ConfigError ? 78 : 1);
  },
);
