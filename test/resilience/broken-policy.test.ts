// A policy file with every kind of mistake the schema and YAML allow: each one is
// named with the file and the line, by `coxswain check-policy FILE` and by
// `coxswain start` (which exits 78 with one line and never runs with it). A
// running bot never switches to a broken file: the old policy stays in force and
// the log names the line; fixing the file brings the new policy in.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.ts';
import { startRoles } from '../../src/roles/start-roles.ts';
import { allCommands } from '../../commands/index.ts';
import { startTestBot, type TestBot } from '../support/bot.ts';
import { testCluster } from '../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../support/slack-emulator/index.ts';

jest.setTimeout(180_000);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir: string;

beforeAll(async () => {
  dir = join((await testCluster()).dir, `broken-policy-${randomBytes(3).toString('hex')}`);
  await mkdir(dir, { recursive: true });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node src/main.ts …args` with only `env`; killed (and the test failed) if it is still running after 20 s. */
function coxswain(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  const child = spawn(process.execPath, [join(repo, 'src', 'main.ts'), ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out.join(''), stderr: err.join('') });
    });
  });
}

const base = `roles:
  viewer:   [{ verbs: [get, logs], namespaces: ["*"] }]
  approver: [{ verbs: [approve], namespaces: [prod] }]
bindings:
  - { role: viewer,   users: ["*"] }
  - { role: approver, users: [U0BOB] }
approvals:
  - { namespaces: [prod], verbs: [deploy], approvers: { roles: [approver] }, expiresAfter: 30m }
alerts:
  routes:
    - { namespaces: [prod], channel: C0ALERTS }
  cooldown: 10m
`;

/**
 * Each mistake as a policy whose faulty line starts with `@@` (taken out before writing), and words the message
 * must contain. One mistake per file, in an otherwise valid policy (the base above).
 */
const mistakes: ReadonlyArray<[string, string, string]> = [
  [
    'a YAML syntax error (unclosed flow sequence)',
    base.replace(
      '  viewer:   [{ verbs: [get, logs], namespaces: ["*"] }]',
      '@@  viewer:   [{ verbs: [get, logs, namespaces: ["*"] }]',
    ),
    'Flow',
  ],
  [
    'a tab used for indentation',
    base.replace('  - { role: approver, users: [U0BOB] }', '@@\t- { role: approver, users: [U0BOB] }'),
    'Tabs',
  ],
  ['two YAML documents in one file', `${base}@@---\nroles: {}\n`, 'multiple documents'],
  [
    'an alias bomb',
    `${base}x1: &a [l, l, l, l, l, l, l, l, l, l]\n@@x2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nx3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nx4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nx5: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`,
    'cannot be expanded',
  ],
  ['a list where the file should be a map', '@@- roles\n- bindings\n', 'expected object, received array'],
  [
    'an unknown top-level key (a typo)',
    `${base}@@defaultNamespce: staging\n`,
    'Unrecognized key: "defaultNamespce" (did you mean "defaultNamespace"?)',
  ],
  [
    'an unknown key in a block-style binding',
    base.replace(
      '  - { role: approver, users: [U0BOB] }',
      '  - role: approver\n    users: [U0BOB]\n@@    chanels: [C0OPS]',
    ),
    'Unrecognized key: "chanels" (did you mean "channels"?)',
  ],
  [
    'an unknown key in a rule',
    base
      .replace(
        'approver: [{ verbs: [approve], namespaces: [prod] }]',
        'approver: [{ verbs: [approve], namespace: [prod] }]',
      )
      .replace('  approver:', '@@  approver:'),
    'Unrecognized key: "namespace"',
  ],
  [
    'verbs as a string instead of a list',
    base
      .replace('[{ verbs: [approve], namespaces: [prod] }]', '[{ verbs: approve, namespaces: [prod] }]')
      .replace('  approver:', '@@  approver:'),
    'verbs: Invalid input: expected array, received string',
  ],
  [
    'required as words',
    base
      .replace('expiresAfter: 30m }', 'expiresAfter: 30m, required: two }')
      .replace('  - { namespaces: [prod], verbs: [deploy]', '@@  - { namespaces: [prod], verbs: [deploy]'),
    'required: Invalid input: expected number',
  ],
  [
    'allowSelfApproval as a word',
    base
      .replace('expiresAfter: 30m }', 'expiresAfter: 30m, allowSelfApproval: sometimes }')
      .replace('  - { namespaces: [prod], verbs: [deploy]', '@@  - { namespaces: [prod], verbs: [deploy]'),
    'allowSelfApproval: Invalid input: expected boolean',
  ],
  [
    'an unknown verb',
    base.replace('verbs: [get, logs]', 'verbs: [get, logs, peek]').replace('  viewer:', '@@  viewer:'),
    'verbs[2]: is one of get, logs',
  ],
  [
    'a namespace glob with a slash and capitals',
    base.replace('namespaces: ["*"]', 'namespaces: ["Team/*"]').replace('  viewer:', '@@  viewer:'),
    'namespaces[0]: is lowercase letters, digits, ., - and * (a glob)',
  ],
  [
    'a role defined twice',
    base.replace('bindings:', '@@  viewer:   [{ verbs: [get] }]\nbindings:'),
    'Map keys must be unique: "viewer" appears more than once',
  ],
  [
    'a role name in capitals',
    base.replace('  approver: [{', '@@  Approver: [{').replace('roles: [approver]', 'roles: [Approver]'),
    'role names are lowercase words',
  ],
  [
    'a binding to a role that is not defined',
    base.replace('  - { role: approver, users: [U0BOB] }', '@@  - { role: aprover, users: [U0BOB] }'),
    'names role "aprover", which is not defined under roles',
  ],
  [
    'a binding naming nobody',
    base.replace('  - { role: approver, users: [U0BOB] }', '@@  - { role: approver }'),
    'a binding names users, groups or channels',
  ],
  [
    'a display name instead of a user ID',
    base.replace('users: [U0BOB]', 'users: ["@bob"]').replace('  - { role: approver', '@@  - { role: approver'),
    'users[0]: is a Slack user ID',
  ],
  [
    'a user-group name instead of its ID',
    base.replace('users: [U0BOB] }', 'groups: [sre] }').replace('  - { role: approver', '@@  - { role: approver'),
    'groups[0]: is a Slack user-group ID',
  ],
  [
    'a channel name instead of its ID',
    base
      .replace('users: [U0BOB] }', 'users: [U0BOB], channels: ["#ops"] }')
      .replace('  - { role: approver', '@@  - { role: approver'),
    'channels[0]: is a Slack channel ID',
  ],
  [
    'a Kubernetes identity smuggling an HTTP header',
    base
      .replace('users: [U0BOB] }', 'users: [U0BOB], kubernetes: { user: "bob\\r\\nX-Evil: 1" } }')
      .replace('  - { role: approver', '@@  - { role: approver'),
    'kubernetes.user: a Kubernetes user or group name is printable ASCII',
  ],
  [
    'an alert route to a channel name',
    base
      .replace('channel: C0ALERTS', 'channel: alerts')
      .replace('    - { namespaces: [prod], channel', '@@    - { namespaces: [prod], channel'),
    'channel: is a Slack channel ID',
  ],
  [
    'a duration in words',
    base
      .replace('expiresAfter: 30m }', 'expiresAfter: 30 minutes }')
      .replace('  - { namespaces: [prod], verbs: [deploy]', '@@  - { namespaces: [prod], verbs: [deploy]'),
    'expiresAfter: is a duration such as 30m',
  ],
  [
    'a cooldown without a unit',
    base.replace('  cooldown: 10m', '@@  cooldown: 600'),
    'cooldown: Invalid input: expected string',
  ],
  [
    'an approval rule naming no approvers',
    base
      .replace('approvers: { roles: [approver] }', 'approvers: {}')
      .replace('  - { namespaces: [prod], verbs: [deploy]', '@@  - { namespaces: [prod], verbs: [deploy]'),
    'approvers: names no approvers',
  ],
  [
    'an approval rule asking more approvals than the users it names',
    base
      .replace('approvers: { roles: [approver] }, expiresAfter: 30m', 'approvers: { users: [U0BOB] }, required: 2')
      .replace('  - { namespaces: [prod], verbs: [deploy]', '@@  - { namespaces: [prod], verbs: [deploy]'),
    'required: is 2, but approvers names only 1 user(s)',
  ],
  [
    'approvers naming a role that is not defined',
    base
      .replace('approvers: { roles: [approver] }', 'approvers: { roles: [approvers] }')
      .replace('  - { namespaces: [prod], verbs: [deploy]', '@@  - { namespaces: [prod], verbs: [deploy]'),
    'names role "approvers", which is not defined under roles',
  ],
  [
    'an approval rule for a verb that is not one',
    base
      .replace('verbs: [deploy], approvers', 'verbs: [deploy, delete], approvers')
      .replace('  - { namespaces: [prod], verbs: [deploy', '@@  - { namespaces: [prod], verbs: [deploy'),
    'verbs[1]: is one of deploy, scale, restart, undo',
  ],
  [
    'an approval rule for a verb that never waits for approval',
    base
      .replace('verbs: [deploy], approvers', 'verbs: [deploy, lock], approvers')
      .replace('  - { namespaces: [prod], verbs: [deploy', '@@  - { namespaces: [prod], verbs: [deploy'),
    'verbs[1]: lock never waits for approval',
  ],
  [
    'a rule with no verbs',
    base
      .replace('[{ verbs: [approve], namespaces: [prod] }]', '[{ verbs: [], namespaces: [prod] }]')
      .replace('  approver:', '@@  approver:'),
    'verbs: Too small',
  ],
  [
    'a default namespace that is not a name',
    `${base}@@defaultNamespace: Staging_1\n`,
    'defaultNamespace: is a namespace name',
  ],
];

/** The file's text without the marker, and the 1-based line the marker was on. */
function marked(text: string): { text: string; line: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.startsWith('@@')) + 1;
  if (line === 0) throw new Error('a mistake without its @@ marker');
  return { text: lines.map((l) => l.replace(/^@@/, '')).join('\n'), line };
}

describe('a policy file with one mistake', () => {
  it('the base policy is valid (so each case below has exactly its own mistake)', async () => {
    const file = join(dir, 'base.yaml');
    await writeFile(file, base);
    const result = await coxswain(['check-policy', file]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('valid — 2 roles, 2 bindings, 1 approval rules, 1 alert routes');
  });

  /** Writes the case's file; returns it and the line of its mistake. */
  async function write(name: string, raw: string): Promise<{ file: string; line: number }> {
    const { text, line } = marked(raw);
    const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.yaml`);
    await writeFile(file, text);
    return { file, line };
  }

  const env = (file: string): Record<string, string> => ({
    SLACK_SIGNING_SECRET: 'x'.repeat(32),
    SLACK_BOT_TOKEN: 'xoxb-1',
    REDIS_URL: 'redis://127.0.0.1:1',
    COXSWAIN_POLICY: file,
  });
  const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it.each(mistakes)(
    '%s: check-policy and start-up name the file and the line, and nothing starts',
    async (name, raw, words) => {
      const { file, line } = await write(name, raw);
      const check = await coxswain(['check-policy', file]);
      expect(check.code).toBe(1);
      expect(check.stderr).toContain(`${file}: not valid`);
      expect(check.stderr).toContain(`  ${file}:${line}: `);
      expect(check.stderr).toContain(words);
      // What `coxswain start` does first; Redis on port 1 answers nothing, so a policy let through would fail
      // otherwise.
      const logged: string[] = [];
      const outcome = await startRoles({
        config: loadConfig(env(file)),
        role: 'all',
        commands: allCommands,
        log: (_l, message) => {
          logged.push(message);
        },
      }).then(
        async (running) => {
          await running.stop();
          return 'started';
        },
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(outcome).toMatch(new RegExp(`^COXSWAIN_POLICY: .*${escaped(file)}:${line}: .*${escaped(words)}`));
      expect(logged).toEqual([]);
    },
  );

  it.each(
    mistakes.filter(([name]) =>
      /YAML syntax|alias bomb|unknown key in a block|naming no approvers|HTTP header/.test(name),
    ),
  )('%s: `coxswain start` exits 78 with one line naming the file and the line', async (name, raw, words) => {
    const { file, line } = await write(name, raw);
    const start = await coxswain(['start'], env(file));
    expect(start.code).toBe(78);
    expect(start.stderr.trim().split('\n')).toHaveLength(1);
    expect(start.stderr).toMatch(new RegExp(`^coxswain: COXSWAIN_POLICY: .*${escaped(file)}:${line}: `));
    expect(start.stderr).toContain(words);
    expect(start.stdout).toBe('');
  });
});

describe('a running bot whose policy file is edited', () => {
  let emu: SlackEmulator;
  let bot: TestBot;
  let slack: SlackDriver;
  let file: string;
  const v1 = 'roles:\n  viewer: [{ verbs: [get] }]\nbindings:\n  - { role: viewer, users: [U0ALICE] }\n';
  const v3 = 'roles:\n  viewer: [{ verbs: [get] }]\nbindings:\n  - { role: viewer, users: [U0ALICE, U0BOB] }\n';

  beforeAll(async () => {
    // A directory of its own: the store watches the file's directory.
    const home = join(dir, 'running');
    await mkdir(home, { recursive: true });
    file = join(home, 'policy.yaml');
    await writeFile(file, v1);
    emu = await SlackEmulator.start();
    bot = await startTestBot({ emu, cluster: await testCluster(), policyFile: file });
    slack = emu.driver(bot.eventsUrl);
  });

  afterAll(async () => {
    await bot?.stop();
    await emu?.stop();
  });

  async function canGet(user: string): Promise<string> {
    const answer = await slack.slashCommand('/k8s', 'can-i get -n default', { user, channel: 'C0OPS' });
    return JSON.stringify(answer.ack);
  }

  async function logged(words: string, from: number): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const line = bot.logs.slice(from).find((l) => l.includes(words));
      if (line) return line;
      if (Date.now() > deadline)
        throw new Error(`no log line with ${words}; last lines: ${bot.logs.slice(-5).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Writes as an editor that saves in place would, or as a ConfigMap update does (a new file renamed over the old). */
  async function save(text: string, how: 'in place' | 'rename'): Promise<void> {
    if (how === 'in place') return writeFile(file, text);
    const next = `${file}.${randomBytes(3).toString('hex')}.tmp`;
    await writeFile(next, text);
    await rename(next, file);
  }

  it.each([
    [
      'a schema mistake, saved in place',
      'roles:\n  viewer: [{ verbs: [get] }]\nbindings:\n  - { role: viewer, users: [U0ALICE, bob] }\n',
      4,
      'users[1]: is a Slack user ID',
      'in place',
    ],
    [
      'a half-written file (cut mid-line), renamed over the old one',
      'roles:\n  viewer: [{ verbs: [get] }]\nbindings:\n  - { role: viewer, users: [U0ALICE, U0B',
      4,
      'Flow',
      'rename',
    ],
    [
      'an alias bomb, renamed over the old one',
      `${v3}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      6,
      'cannot be expanded',
      'rename',
    ],
    ['an empty file, saved in place', '', undefined, 'is empty', 'in place'],
  ] as const)(
    'refuses %s: the old policy stays in force and the log names the line',
    async (_what, text, line, words, how) => {
      expect(await canGet('U0ALICE')).toContain('Yes, you may');
      expect(await canGet('U0BOB')).toContain('No.');
      const from = bot.logs.length;
      await save(text, how);
      const warning = await logged('policy change refused', from);
      expect(warning).toContain(line === undefined ? `${file}: ${words}` : `${file}:${line}: `);
      expect(warning).toContain(words);
      expect(await canGet('U0ALICE')).toContain('Yes, you may');
      expect(await canGet('U0BOB')).toContain('No.');
    },
  );

  it('takes the fixed file: Bob may now get pods', async () => {
    const from = bot.logs.length;
    await save(v3, 'rename');
    await logged('policy reloaded', from);
    expect(await canGet('U0BOB')).toContain('Yes, you may');
    expect(bot.logs.slice(from).filter((l) => l.includes('policy change refused'))).toEqual([]);
  });
});
