// Every verb of the command line answers --help with its own usage and starts nothing; an option or argument it
// does not take is refused with that usage, exit code 2, before anything runs (no configuration is read, so none
// is needed here).
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const verbs = ['start', 'console', 'check-policy', 'rbac', 'audit'] as const;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `coxswain …args` with an empty environment: anything that tried to start would fail for want of settings. */
function coxswain(...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, 'src', 'main.ts'), ...args],
      { env: { PATH: process.env['PATH'] ?? '' }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('coxswain --help', () => {
  it('lists every verb, and how to ask each for its own usage', async () => {
    const ran = await coxswain('--help');
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    const listed = [...ran.stdout.matchAll(/^ {2}coxswain ([a-z-]+)/gm)].map((m) => m[1]);
    expect(listed).toEqual([...verbs, 'help']);
    expect(ran.stdout).toContain('coxswain VERB --help');
  });

  it('refuses an unknown command with the usage, exit 2', async () => {
    const ran = await coxswain('deploy');
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(/^coxswain: unknown command 'deploy'\n\ncoxswain — Slack ChatOps/);
  });
});

describe.each(verbs)('coxswain %s', (verb) => {
  it('answers --help and -h with its own usage, and starts nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const ran = await coxswain(verb, flag);
      expect(ran).toMatchObject({ code: 0, stderr: '' });
      expect(ran.stdout).toMatch(new RegExp(`^usage: coxswain ${verb}\\b`));
      expect(ran.stdout).toContain('-h, --help');
      // Only this verb's usage, not the whole list.
      expect(ran.stdout).not.toContain('Slack ChatOps for Kubernetes');
    }
    expect((await coxswain('help', verb)).stdout).toBe((await coxswain(verb, '--help')).stdout);
  });

  it('refuses an option it does not take, naming it, with its usage', async () => {
    const ran = await coxswain(verb, ...(verb === 'audit' ? ['verify'] : []), '--frobnicate');
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(
      new RegExp(`^coxswain ${verb}: unknown option '--frobnicate'\\n\\nusage: coxswain ${verb}\\b`),
    );
  });
});

describe('arguments a verb cannot take', () => {
  it.each([
    [['start', 'now'], "coxswain start: unexpected argument 'now'"],
    [['start', '--role'], "coxswain start: option '--role' needs a value"],
    [['check-policy'], 'coxswain check-policy: missing FILE'],
    [['check-policy', 'a.yaml', 'b.yaml'], "coxswain check-policy: unexpected argument 'b.yaml'"],
    [['rbac'], 'coxswain rbac: missing FILE'],
    [['rbac', 'policy.yaml', '--namespaces', 'a', '--from-cluster'], 'give --namespaces or --from-cluster, not both'],
    [['rbac', 'policy.yaml', '--service-account', 'nobody'], '--service-account must be NAMESPACE/NAME'],
    [['audit'], 'coxswain audit: missing verify'],
    [['audit', 'rewrite'], "coxswain audit: unknown action 'rewrite'"],
  ])('%j is refused: %s', async (args, message) => {
    const ran = await coxswain(...args);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(message);
    expect(ran.stderr).toContain(`usage: coxswain ${args[0] ?? ''}`);
  });
});
