// Composition root and command-line entry of Coxswain.
import { argv, exit, stderr, stdout } from 'node:process';
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
import { planWriteGrants, renderWriteGrants, type ServiceAccountRef } from './policy/write-grants.ts';
import { openRedis } from './roles/role-kit.ts';
import { safeRedisUrl, startRoles } from './roles/start-roles.ts';

/** The command-line contract of DESIGN.md; kept in one place so help and parsing agree. */
export const usage = `coxswain — Slack ChatOps for Kubernetes

usage:
  coxswain start [--role gateway|worker|watcher|all]   run the bot (default: all roles in one process)
  coxswain console [--as U…] [--channel C…] [--group S…=U…,U…] [LINE…]
                                                       the bot in a terminal, no Slack needed (LINEs: run them and exit)
  coxswain check-policy FILE                           validate a policy file and explain it
  coxswain rbac FILE [--namespaces a,b,…|--from-cluster] [--service-account NS/NAME]
                                                       the bot's write grants (RoleBindings) the policy needs, as YAML
  coxswain audit verify                                check the audit trail's hash chain (needs only REDIS_URL, COXSWAIN_CLUSTER)
  coxswain help                                        this text

configuration (environment):
  SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL,
  PORT, REDIS_URL, KUBECONFIG, COXSWAIN_POLICY, COXSWAIN_CLUSTER, COXSWAIN_MAX_REPLICAS, COXSWAIN_AUDIT_RETENTION
`;

function parseRole(args: readonly string[]): Role {
  const i = args.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (i < 0) return 'all';
  const value = args[i]?.includes('=') ? args[i]?.split('=')[1] : args[i + 1];
  if (!roles.includes(value as Role)) throw new ConfigError(`--role must be one of ${roles.join(', ')}`);
  return value as Role;
}

async function start(args: readonly string[]): Promise<number> {
  const role = parseRole(args);
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, base: { role, cluster: config.cluster } });
  const starting = startRoles({ config, role, commands: allCommands, log });
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

async function checkPolicy(args: readonly string[]): Promise<number> {
  const [file] = args;
  if (!file || args.length > 1) {
    stderr.write('usage: coxswain check-policy FILE\n');
    return 2;
  }
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

const rbacUsage = 'usage: coxswain rbac FILE [--namespaces a,b,…|--from-cluster] [--service-account NS/NAME]\n';

/** The namespaces globs are resolved against: given, or listed from the cluster (KUBECONFIG, as the admin). */
async function knownNamespaces(args: readonly string[], config: RbacConfig): Promise<string[]> {
  const given = flagValue(args, '--namespaces');
  if (given !== undefined)
    return given
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  if (!args.includes('--from-cluster')) return [];
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

function serviceAccountOf(args: readonly string[], config: RbacConfig): ServiceAccountRef | undefined {
  const [namespace = '', name = ''] = (flagValue(args, '--service-account') ?? `${config.namespace}/coxswain`).split(
    '/',
  );
  return /^[a-z0-9][-a-z0-9]*$/.test(namespace) && /^[a-z0-9][-a-z0-9.]*$/.test(name) ? { namespace, name } : undefined;
}

/**
 * `coxswain rbac FILE`: the RoleBindings that give the bot write rights where the policy lets people change things, and
 * nowhere else.
 */
async function rbac(args: readonly string[]): Promise<number> {
  const [file] = args;
  const config = loadRbacConfig();
  const serviceAccount = serviceAccountOf(args, config);
  if (!file || file.startsWith('--') || !serviceAccount) {
    stderr.write(rbacUsage);
    return 2;
  }
  try {
    const plan = planWriteGrants(
      await loadPolicy(file),
      { protectedNamespaces: config.protectedNamespaces },
      await knownNamespaces(args, config),
    );
    if (plan.unresolved.length > 0) {
      stderr.write(
        `${file}: no namespace given matches ${plan.unresolved.map((g) => `"${g}"`).join(', ')}: list the namespaces these globs should reach with --namespaces a,b,… or read them from the cluster with --from-cluster; nothing was written\n`,
      );
      return 1;
    }
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
async function audit(args: readonly string[]): Promise<number> {
  if (args.length !== 1 || args[0] !== 'verify') {
    stderr.write('usage: coxswain audit verify\n');
    return 2;
  }
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

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** coxswain console: the real bot against the current kubeconfig and Redis, Slack emulated in-process. */
async function openConsole(args: readonly string[]): Promise<number> {
  const as = flagValue(args, '--as');
  const channel = flagValue(args, '--channel');
  const commands = args.filter(
    (a, i) => !a.startsWith('--') && !['--as', '--channel', '--group'].includes(args[i - 1] ?? ''),
  );
  const groups = Object.fromEntries(
    args
      .flatMap((a, i) => (args[i - 1] === '--group' ? [a.split('=')] : []))
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

/** Runs the command line; resolves to an exit code, or -1 to keep running. */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    stdout.write(usage);
    return 0;
  }
  if (command === 'start') return start(rest);
  if (command === 'check-policy') return checkPolicy(rest);
  if (command === 'rbac') return rbac(rest);
  if (command === 'audit') return audit(rest);
  if (command === 'console') return openConsole(rest);
  stderr.write(`coxswain: '${command}' is not available in this build yet\n\n${usage}`);
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
