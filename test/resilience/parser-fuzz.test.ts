// Hostile input against the command parser, generated: unicode, quotes, control
// characters, huge tokens, flag look-alikes, and near-valid commands. Every line
// must end as a valid command or a clear ParseError — never another exception,
// never a hang — and a valid command must carry only names Kubernetes accepts,
// so nothing reaches the API unvalidated.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createRegistry } from '../../commands/index.ts';
import { ParseError, parseCommand } from '../../src/parse/parse-command.ts';
import { imageReference } from '../../src/parse/arguments.ts';

const registry = createRegistry();
const limits = { defaultNamespace: 'default' };
const dns1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const names = registry.commands.map((c) => c.name);

/** Words people and attackers type: real names, flags, look-alikes, quotes, controls, unicode, huge ones. */
const word = fc.oneof(
  fc.constantFrom(...names, ...names.flatMap((n) => n.split(' '))),
  fc.constantFrom(
    '-n',
    '--namespace',
    '-c',
    '--container',
    '--tail',
    '--previous',
    '--to-revision',
    '-l',
    '--force',
    '--yes',
    '--for',
    '—n',
    '–namespace',
    '-n=',
    '--n',
    '-nn',
    '---',
    '--',
    '-',
    '"',
    "'",
    '“quoted”',
    '`x`',
    '<@U0BOB>',
    '<http://evil|x>',
    '&lt;',
    '\u0000',
    '\u202e',
    '\r\n',
  ),
  fc.constantFrom(
    'web',
    'prod',
    'kube-system',
    'ghcr.io/acme/web:1.2',
    'web@sha256:' + 'a'.repeat(64),
    '3',
    '-1',
    '1e9',
    '0x10',
    'NaN',
    '../etc',
    'web;rm -rf /',
    'Web',
    'deploy/web',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ minLength: 300, maxLength: 5000 }),
);
const line = fc.array(word, { maxLength: 12 }).map((words) => words.join(' '));
const raw = fc.string({ unit: 'binary', maxLength: 2000 });

/** Parses, returning what happened; anything but a ParseError escapes and fails the property. */
function outcome(text: string): 'valid' | 'refused' {
  try {
    const parsed = parseCommand(registry, text, limits);
    checkValidated(parsed);
    return 'valid';
  } catch (error) {
    if (error instanceof ParseError) {
      expect(error.userMessage.length).toBeGreaterThan(0);
      expect(error.userMessage.length).toBeLessThan(2000);
      return 'refused';
    }
    throw error;
  }
}

function checkValidated(parsed: ReturnType<typeof parseCommand>): void {
  const spec = parsed.command;
  expect(registry.schemaOf(spec).safeParse(parsed.input).success).toBe(true);
  if (spec.runsIn !== 'worker') return;
  const target = spec.target(parsed.args);
  expect(target.namespace).toMatch(dns1123Label);
  if (target.deployment !== undefined) expect(target.deployment).toMatch(dns1123Subdomain);
  const image = parsed.args['image'];
  if (typeof image === 'string') expect(imageReference.safeParse(image).success).toBe(true);
}

describe('the command parser under generated hostile input', () => {
  it('answers 8,000 word-built lines with a valid command or a clear refusal', () => {
    const seen = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(line, (text) => {
        seen[outcome(text)] += 1;
      }),
      { numRuns: 8_000 },
    );
    // The generator must reach both ends, or the property proves little.
    expect(seen.valid).toBeGreaterThan(50);
    expect(seen.refused).toBeGreaterThan(1000);
  });

  it('answers 2,000 lines of raw bytes, including 2,000-character ones, without another kind of error', () => {
    fc.assert(
      fc.property(raw, (text) => {
        outcome(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a 1 MB line (it is bounded before it is tokenized; a hang would hit the test timeout)', () => {
    expect(outcome(`deploy web ${'a'.repeat(1_000_000)}`)).toBe('refused');
  });
});
