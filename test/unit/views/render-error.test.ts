import { describe, expect, it } from '@jest/globals';
import { renderError } from '../../../src/views/render-error.ts';
import { allText, expectSlackAccepts } from './expect-slack-accepts.ts';

describe('renderError', () => {
  it('says what was wrong, the usage in code and what the user probably meant', () => {
    const message = renderError({
      message: 'Unknown command "scael".',
      usage: '/k8s scale <deployment> <replicas> [-n ns]',
      suggestion: 'scale',
    });
    expectSlackAccepts(message);
    expect(allText(message)).toBe(
      ':warning: Unknown command "scael".\nDid you mean `scale`?\nUsage: `/k8s scale &lt;deployment&gt; &lt;replicas&gt; [-n ns]`',
    );
    expect(message.text).toBe('Unknown command "scael". · Did you mean scale?');
    expect(message).toMatchSnapshot();
  });

  it('shows a multi-line usage as a code block', () => {
    const message = renderError({
      message: 'rollout needs a subcommand',
      usage: '/k8s rollout status <deployment>\n/k8s rollout undo <deployment> [--to-revision N]',
    });
    expectSlackAccepts(message);
    expect(allText(message)).toContain(
      'Usage:\n```\n/k8s rollout status &lt;deployment&gt;\n/k8s rollout undo &lt;deployment&gt; [--to-revision N]\n```',
    );
  });

  it('gives internal errors only a reference', () => {
    const message = renderError({ message: 'Something went wrong on our side.', ref: 'e-7Qx2' });
    expectSlackAccepts(message);
    expect(allText(message)).toContain('internal error, ref `e-7Qx2`');
    expect(message.text).toBe('Something went wrong on our side. · internal error, ref e-7Qx2');
    expect(message).toMatchSnapshot();
  });

  it('escapes the echoed input and bounds it', () => {
    const message = renderError({ message: `No deployment "<!channel>&${'z'.repeat(10_000)}"`, suggestion: '`x`' });
    expectSlackAccepts(message);
    expect(allText(message)).toContain('No deployment "&lt;!channel&gt;&amp;zzz');
    expect(allText(message)).toContain('Did you mean `ˋxˋ`?');
    expect([...allText(message)].length).toBeLessThan(1200);
  });

  it('never sends an empty message', () => {
    const message = renderError({ message: '' });
    expectSlackAccepts(message);
    expect(message.text).toBe('Something went wrong');
  });
});
