import { describe, expect, it } from '@jest/globals';
import { renderResult } from '../../../src/views/render-result.ts';
import { renderText } from '../../../src/views/render-text.ts';
import { allText, expectSlackAccepts } from './expect-slack-accepts.ts';

describe('renderText', () => {
  it('shows help with a header and keeps simple markdown', () => {
    const message = renderResult({
      kind: 'text',
      title: 'Coxswain commands',
      text: '`deploy <deployment> <image> [-n ns]`  roll out an image\n`scale <deployment> <replicas>`  change replicas\n\n*Examples*\n`/k8s deploy checkout ghcr.io/acme/checkout:1.4.2 -n staging`',
    });
    expectSlackAccepts(message);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Coxswain commands', emoji: true },
    });
    expect(allText(message)).toContain('`deploy &lt;deployment&gt; &lt;image&gt; [-n ns]`');
    expect(message.text).toBe('Coxswain commands');
    expect(message).toMatchSnapshot();
  });

  it('keeps user and channel mentions for whoami but nothing that pings a crowd', () => {
    const message = renderText(undefined, 'You are <@U0ALICE>, roles: viewer, deployer <!here> & <#C0DEPLOYS>');
    expectSlackAccepts(message);
    expect(message.text).toBe('You are <@U0ALICE>, roles: viewer, deployer &lt;!here&gt; &amp; <#C0DEPLOYS>');
    expect(message.blocks.map((block) => block.type)).toEqual(['section']);
    expect(message).toMatchSnapshot();
  });

  it('cuts a header at 150 characters and long text with a note', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} of a very long answer`);
    const message = renderText('t'.repeat(400), lines.join('\n'));
    expectSlackAccepts(message);
    const text = allText(message);
    const shown = (text.match(/^line \d+/gm) ?? []).length;
    expect(text).toContain(`… ${2000 - shown} more lines not shown`);
    expect(message.text.length).toBeLessThanOrEqual(200);
  });

  it('never sends empty text', () => {
    const message = renderText('  ', '   ');
    expectSlackAccepts(message);
    expect(allText(message)).toBe('(nothing to show)');
  });
});
