import { describe, expect, it } from '@jest/globals';
import { context, divider, header, section } from '../../../src/views/blocks.ts';
import { boundMessage } from '../../../src/views/bound-message.ts';
import { codeLine, escapeKeepingMentions, escapeMrkdwn, inlineCode } from '../../../src/views/mrkdwn.ts';
import { packLines } from '../../../src/views/pack-lines.ts';
import { allText, expectSlackAccepts } from './expect-slack-accepts.ts';

describe('boundMessage', () => {
  it('drops blocks past 50 and says how many', () => {
    const message = boundMessage(
      'many',
      Array.from({ length: 60 }, () => divider()),
    );
    expectSlackAccepts(message);
    expect(message.blocks).toHaveLength(50);
    expect(allText(message)).toBe('… 11 more blocks not shown (message too long for Slack)');
  });

  it('drops blocks past the total text budget', () => {
    // Lines of 1500: under the redaction's 2048-character line cap, so every section keeps its 3000 characters.
    const message = boundMessage(
      'long',
      Array.from({ length: 10 }, () => section(`${'y'.repeat(1499)}\n${'y'.repeat(1500)}`)),
    );
    expectSlackAccepts(message);
    expect(message.blocks).toHaveLength(4);
    expect(allText(message)).toContain('… 7 more blocks not shown');
  });

  it('redacts every text that leaves views, whichever renderer forgot to: blocks and the fallback', () => {
    const leak =
      'dial postgres://app:s3cr3t@db:5432/app: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const message = boundMessage(leak, [
      header(leak),
      section(leak),
      context(leak),
      { type: 'section', fields: [{ type: 'mrkdwn', text: leak }] },
    ]);
    const all = JSON.stringify(message);
    for (const secret of ['s3cr3t', 'eyJhbGciOiJIUzI1NiJ9', 'c2lnbmF0dXJl']) expect(all).not.toContain(secret);
    expect(message.text).toContain('postgres://app:[redacted]@db:5432/app');
  });

  it('fills in and bounds the fallback text', () => {
    expect(boundMessage(' ', [context('x')]).text).toBe('Coxswain');
    expect([...boundMessage('w'.repeat(5000), [header('x')]).text]).toHaveLength(600);
  });
});

describe('mrkdwn helpers', () => {
  it('cut after escaping without splitting an entity', () => {
    expect(escapeMrkdwn('<<<<', 10)).toBe('&lt;&lt;…');
    expect(escapeMrkdwn('<<', 8)).toBe('&lt;&lt;');
    expect(escapeMrkdwn('a😀b', 2)).toBe('a…');
  });

  it('keep mentions whole or not at all', () => {
    expect(escapeKeepingMentions('hi <@U0BOB> <@here>')).toBe('hi <@U0BOB> &lt;@here&gt;');
    expect(escapeKeepingMentions('held by <@U0BOB>', 12)).toBe('held by …');
  });

  it('keep inline code and code lines closed', () => {
    expect(inlineCode('a`b\nc')).toBe('`aˋb c`');
    expect(codeLine('```')).toBe('\u200B`\u200B`\u200B`\u200B');
  });

  it('pack lines into sections and count what did not fit', () => {
    const packed = packLines(
      Array.from({ length: 100 }, () => 'z'.repeat(99)),
      { budget: 5000 },
    );
    expect(packed.chunks.every((chunk) => chunk.length <= 3000)).toBe(true);
    expect(packed.cut).toBe(50);
    expect(packLines(['a', 'b', 'c'], { budget: 3, keep: 'tail' })).toEqual({ chunks: ['b\nc'], cut: 1 });
  });
});
