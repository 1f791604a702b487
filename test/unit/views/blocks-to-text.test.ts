import { describe, expect, it } from '@jest/globals';
import { blocksToText } from '../../../src/views/blocks-to-text.ts';
import { renderError } from '../../../src/views/render-error.ts';
import { renderJobStatus } from '../../../src/views/render-job-status.ts';
import { renderResult } from '../../../src/views/render-result.ts';

describe('blocksToText', () => {
  it('draws a job status line with the mention and escapes undone', () => {
    const text = blocksToText(
      renderJobStatus({
        requester: 'U0ALICE',
        description: 'deploy a<b to x:1 in staging',
        state: 'succeeded',
        durationMs: 4200,
        jobId: 'j1',
      }),
    );
    expect(text).toContain('✅ @U0ALICE → deploy a<b to x:1 in staging · done in 4');
    expect(text).toContain('job');
  });

  it('keeps code blocks of a table readable', () => {
    const text = blocksToText(
      renderResult({
        kind: 'table',
        title: 'pods in prod',
        columns: ['NAME', 'READY'],
        rows: [['web-1', '1/1']],
        omitted: 0,
      }),
    );
    expect(text).toMatch(/NAME\s+READY\nweb-1\s+1\/1/u);
  });

  it('shows the usage line and suggestion of an error', () => {
    const text = blocksToText(
      renderError({ message: 'no such flag', usage: '/k8s scale <deployment> <replicas>', suggestion: '--namespace' }),
    );
    expect(text).toContain('/k8s scale <deployment> <replicas>');
    expect(text).toContain('--namespace');
  });

  it('names a block type it cannot draw instead of dropping it', () => {
    expect(blocksToText({ text: 'x', blocks: [{ type: 'image' }] })).toBe('(image block)');
  });
});
