import { describe, expect, it } from '@jest/globals';
import { createRegistry } from '../../../commands/index.ts';
import { ParseError, parseCommand } from '../../../src/parse/parse-command.ts';

const registry = createRegistry({ maxReplicas: 50 });
const limits = { defaultNamespace: 'default' };
const parse = (text: string): { name: string; args: Record<string, unknown> } => {
  const { command, args } = parseCommand(registry, text, limits);
  return { name: command.name, args };
};
const refusal = (text: string): ParseError => {
  try {
    parseCommand(registry, text, limits);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error(`'${text}' parsed, but a refusal was expected`);
};

describe('parseCommand: the grammar of DESIGN.md', () => {
  it.each([
    [
      'deploy checkout ghcr.io/acme/checkout:1.4.2 -n staging',
      'deploy',
      { deployment: 'checkout', image: 'ghcr.io/acme/checkout:1.4.2', namespace: 'staging' },
    ],
    [
      'deploy deploy/api ghcr.io/acme/api:2.0 --namespace=prod -c server',
      'deploy',
      { deployment: 'api', namespace: 'prod', container: 'server' },
    ],
    [
      'deploy deployment/api registry:5000/team/api@sha256:0123456789abcdef0123456789abcdef',
      'deploy',
      {
        deployment: 'api',
        image: 'registry:5000/team/api@sha256:0123456789abcdef0123456789abcdef',
        namespace: 'default',
      },
    ],
    ['scale web 3 -n staging', 'scale', { deployment: 'web', replicas: 3, force: false, yes: false }],
    ['scale web 0 --yes', 'scale', { replicas: 0, yes: true }],
    ['rollout status web -n prod', 'rollout status', { deployment: 'web', namespace: 'prod' }],
    ['ROLLOUT History web', 'rollout history', { deployment: 'web' }],
    ['rollout undo web --to-revision 3', 'rollout undo', { 'to-revision': 3 }],
    ['rollout restart deploy/web -n prod', 'rollout restart', { deployment: 'web' }],
    ['get pods -n prod -l app=web', 'get', { resource: 'pods', namespace: 'prod', selector: 'app=web' }],
    ['get deploy', 'get', { resource: 'deployments' }],
    ['logs web-5d8-abcde -n prod --tail 20 --previous', 'logs', { pod: 'web-5d8-abcde', tail: 20, previous: true }],
    ['logs pod/web-5d8-abcde', 'logs', { pod: 'web-5d8-abcde', tail: 50, previous: false }],
    ['help rollout undo', 'help', { topic: 'rollout', subtopic: 'undo' }],
    ['', 'help', {}],
    ['whoami', 'whoami', {}],
  ])('%s', (text, name, args) => {
    const parsed = parse(text);
    expect(parsed.name).toBe(name);
    expect(parsed.args).toMatchObject(args);
  });

  it('undoes Slack formatting: links around images, smart quotes', () => {
    expect(parse('deploy web <http://ghcr.io/acme/web:1.0|ghcr.io/acme/web:1.0> -n “staging”').args).toMatchObject({
      image: 'ghcr.io/acme/web:1.0',
      namespace: 'staging',
    });
  });

  it('keeps quoted words together', () => {
    expect(refusal('get pods -l "app=web tier=x"').message).toContain('not a label selector');
  });
});

describe('parseCommand: refusals say what is wrong', () => {
  it.each([
    ['delpoy web x:1', '`delpoy` is not a command', 'deploy'],
    ['scael web 3', '`scael` is not a command', 'scale'],
    ['rollout stauts web', '`rollout stauts` is not a command', 'rollout status'],
    ['deploy web ghcr.io/acme/web:1 --namspace prod', 'has no flag `--namspace`', '--namespace'],
  ])('%s → "%s", did you mean %s', (text, message, suggestion) => {
    const error = refusal(text);
    expect(error.message).toContain(message);
    expect(error.suggestion).toBe(suggestion);
    expect(error.code).toBe('bad_input');
  });

  it.each([
    ['deploy web', '<image> is missing'],
    ['deploy Web_1 ghcr.io/acme/web:1', '<deployment>: a deployment name is lowercase'],
    ['deploy web ghcr.io/Acme/web:1', '<image>: not an image reference'],
    ['deploy web ghcr.io/acme/web:1 -n Prod', '--namespace: a namespace is lowercase'],
    ['deploy web ghcr.io/acme/web:1 extra words', 'Unexpected `extra` `words` at the end'],
    ['deploy web ghcr.io/acme/web:1 -n', '`-n` needs a value'],
    ['deploy web ghcr.io/acme/web:1 -n a -n b', 'is given twice'],
    ['scale web three', '<replicas>: replicas is a whole number'],
    ['scale web 51', 'at most 50 replicas'],
    ['scale web -1', '<replicas>: replicas is a whole number'],
    ['scale web 0', 'scaling to 0 stops every pod; add --yes to confirm'],
    ['logs web-1 --tail 100000', '--tail is at most 500'],
    ['get secrets', 'get lists `pods` or `deployments`'],
    ['rollout', '`rollout` needs a subcommand'],
    ['deploy web "ghcr.io/acme/web:1', 'quote is not closed'],
    ['whoami --force', '`whoami` has no flag `--force`'],
  ])('%s → %s', (text, message) => {
    const error = refusal(text);
    expect(error.message).toContain(message);
  });

  it('shows the usage line of the command that was meant', () => {
    expect(refusal('deploy web').usage).toBe('deploy <deployment> <image> [-n namespace] [-c container]');
  });

  it('refuses text over the length limit', () => {
    expect(refusal(`get pods -l ${'a'.repeat(2000)}`).message).toContain('limit is 1000');
  });
});

describe('the registry', () => {
  it('gives every command a usage starting with its name, examples that parse, and a summary', () => {
    for (const command of registry.commands) {
      expect(command.usage.startsWith(command.name)).toBe(true);
      expect(command.summary.length).toBeGreaterThan(0);
      for (const example of command.examples) expect(parse(example).name).toBe(command.name);
    }
  });
});
