// `coxswain console`: the real bot — parser, policy, queue, worker, watcher,
// views — against the current kubeconfig and Redis, with an in-process Slack
// instead of a workspace. You type /k8s lines as a Slack user in a
// channel and read what Slack would show; no Slack tokens are needed.
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/load-config.ts';
import type { Log } from '../log/create-logger.ts';
import { loadPolicy } from '../policy/load-policy.ts';
import type { Policy } from '../policy/policy-schema.ts';
import type { AnyCommandSpec } from '../registry/command-spec.ts';
import { startRoles } from '../roles/start-roles.ts';
import { blocksToText } from '../views/blocks-to-text.ts';
import { ButtonBoard, describeCall } from './console-view.ts';
import { InProcessSlack, type SlackDriver } from './in-process-slack/index.ts';

/** Options of runConsole. */
export interface ConsoleOptions {
  /** The environment (REDIS_URL, KUBECONFIG, COXSWAIN_POLICY, COXSWAIN_CLUSTER…); Slack variables are ignored. */
  readonly env: NodeJS.ProcessEnv;
  /** Every /k8s command (commands/index.ts's allCommands). */
  readonly specs: readonly AnyCommandSpec[];
  /** Who you are and where you type. Defaults: U0ALICE in C0OPS. */
  readonly as?: string;
  readonly channel?: string;
  /** Slack user groups and their members (`S0ADMINS` → [U0ALICE]); the policy's other groups are empty. */
  readonly groups?: Readonly<Record<string, readonly string[]>>;
  /** Lines to run instead of a prompt (each waits for its job to end). */
  readonly commands?: readonly string[];
  readonly write?: (line: string) => void;
}

/** Everyone the policy names, so `:as` can become them; channels likewise. */
function peopleAndPlaces(
  policy: Policy | undefined,
  as: string,
  channel: string,
): { users: string[]; channels: string[] } {
  const bindings = policy?.bindings ?? [];
  const named = [
    ...bindings.flatMap((b) => b.users ?? []),
    ...(policy?.approvals ?? []).flatMap((a) => a.approvers.users ?? []),
  ].filter((u) => u !== '*');
  const places = [...bindings.flatMap((b) => b.channels ?? []), ...(policy?.alerts.routes ?? []).map((r) => r.channel)];
  return {
    users: [...new Set([as, 'U0ALICE', 'U0BOB', 'U0CAROL', ...named])],
    channels: [...new Set([channel, 'C0OPS', ...places])],
  };
}

function groupsOf(
  policy: Policy | undefined,
  given: Readonly<Record<string, readonly string[]>>,
): { id: string; handle: string; users: readonly string[] }[] {
  const named = [
    ...(policy?.bindings ?? []).flatMap((b) => b.groups ?? []),
    ...(policy?.approvals ?? []).flatMap((a) => a.approvers.groups ?? []),
  ];
  return [...new Set([...named, ...Object.keys(given)])].map((id) => ({
    id,
    handle: id.toLowerCase(),
    users: given[id] ?? [],
  }));
}

/**
 * Slack with everyone the policy names, each channel holding them all and the bot; signing secret and token are fresh.
 */
async function startSlack(
  policy: Policy | undefined,
  options: ConsoleOptions,
  as: string,
  channel: string,
): Promise<InProcessSlack> {
  const groups = groupsOf(policy, options.groups ?? {});
  const { users: named, channels } = peopleAndPlaces(policy, as, channel);
  const users = [...new Set([...named, ...groups.flatMap((g) => g.users)])];
  const members = [...users, 'U0BOT'];
  return InProcessSlack.start({
    users: users.map((id) => ({ id, name: id.toLowerCase() })),
    channels: channels.map((id) => ({ id, name: id.toLowerCase(), members })),
    usergroups: groups,
  });
}

/**
 * The bot's warnings and errors, each said once a minute at most: a service that
 * is down makes every connection retry several times a second, which would bury
 * the answers in the terminal.
 */
function consoleLog(write: (line: string) => void): Log {
  const lastSaid = new Map<string, number>();
  return (level, message, fields) => {
    if (level !== 'warn' && level !== 'error') return;
    const line = `(bot ${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''})`;
    const now = Date.now();
    if (now - (lastSaid.get(line) ?? 0) < 60_000) return;
    lastSaid.set(line, now);
    write(line);
  };
}

/** Prints every Slack call as it happens, numbering buttons. */
function follow(slack: InProcessSlack, board: ButtonBoard, write: (line: string) => void): () => void {
  let seen = 0;
  const timer = setInterval(() => {
    for (const call of slack.calls.slice(seen)) {
      const line = describeCall(call, board);
      if (line) write(line);
    }
    seen = slack.calls.length;
  }, 100);
  return () => clearInterval(timer);
}

interface Session {
  user: string;
  channel: string;
  readonly slack: SlackDriver;
  readonly board: ButtonBoard;
  readonly write: (line: string) => void;
}

async function send(session: Session, line: string): Promise<void> {
  const answer = await session.slack.slashCommand('/k8s', line.replace(/^\/k8s\s*/, ''), {
    user: session.user,
    channel: session.channel,
  });
  if (answer.status !== 200) session.write(`(the bot answered HTTP ${answer.status})`);
  if (answer.ack)
    session.write(
      blocksToText(answer.ack)
        .split('\n')
        .map((l) => `(only you)  ${l}`)
        .join('\n'),
    );
}

async function click(session: Session, n: number): Promise<void> {
  const button = session.board.get(n);
  if (!button) {
    session.write(`(no button ${n})`);
    return;
  }
  const result = await session.slack
    .clickButton({
      channel: button.channel,
      ts: button.ts,
      actionId: button.actionId,
      blockId: button.blockId,
      user: session.user,
    })
    .catch((error: unknown) => ({ status: 0, error: error instanceof Error ? error.message : String(error) }));
  if (result.status !== 200)
    session.write(`(the click did not go through: ${'error' in result ? result.error : `HTTP ${result.status}`})`);
}

const help = [
  'Type /k8s commands as in Slack (the /k8s is optional), e.g. "get pods -n default".',
  ':as U…  be another Slack user · :in C…  type in another channel · :click N  click button N · :quit',
].join('\n');

/** One line of input; false to stop. */
async function handle(session: Session, line: string): Promise<boolean> {
  if (line === ':quit' || line === ':q') return false;
  if (line.startsWith(':as ')) {
    session.user = line.slice(4).trim();
    session.write(`(you are ${session.user})`);
    return true;
  }
  if (line.startsWith(':in ')) {
    session.channel = line.slice(4).trim();
    session.write(`(you type in #${session.channel})`);
    return true;
  }
  if (line.startsWith(':click ')) {
    await click(session, Number(line.slice(7).trim()));
    return true;
  }
  if (line === ':help' || line === '?') {
    session.write(help);
    return true;
  }
  if (line) await send(session, line);
  return true;
}

async function prompt(session: Session): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  session.write(`You are ${session.user} in #${session.channel}. ${help}`);
  for (;;) {
    const line = (await rl.question('> ').catch(() => ':quit')).trim();
    if (
      !(await handle(session, line).catch((error: unknown) => {
        session.write(`(${String(error)})`);
        return true;
      }))
    )
      break;
  }
  rl.close();
}

/** Waits until Slack has seen no call for a second (a job's edits have stopped), at most 2 minutes. */
async function quiet(slack: InProcessSlack): Promise<void> {
  const until = Date.now() + 120_000;
  let seen = -1;
  while (slack.calls.length !== seen && Date.now() < until) {
    seen = slack.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await new Promise((resolve) => setTimeout(resolve, 150)); // the printer's last round
}

/** Runs the console until :quit (or until `commands` are done). */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const as = options.as ?? 'U0ALICE';
  const channel = options.channel ?? 'C0OPS';
  const policyPath = options.env['COXSWAIN_POLICY'];
  const policy = policyPath ? await loadPolicy(policyPath) : undefined;
  const slack = await startSlack(policy, options, as, channel);
  const config = loadConfig({
    ...options.env,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    SLACK_APP_TOKEN: undefined,
    PORT: '0',
  });
  const log = consoleLog(write);
  const running = await startRoles({ config, role: 'all', commands: options.specs, log });
  const board = new ButtonBoard();
  const stopFollowing = follow(slack, board, write);
  const session: Session = {
    user: as,
    channel,
    slack: slack.driver(`http://127.0.0.1:${running.port ?? 0}/slack/events`),
    board,
    write,
  };
  try {
    if (!options.commands?.length) await prompt(session);
    for (const command of options.commands ?? []) {
      write(`> ${command}`);
      await handle(session, command);
      await quiet(slack);
    }
  } finally {
    stopFollowing();
    await running.stop();
    await slack.stop();
  }
}
