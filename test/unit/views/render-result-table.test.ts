import { describe, expect, it } from '@jest/globals';
import type { TableResult } from '../../../src/results.ts';
import { renderResult } from '../../../src/views/render-result.ts';
import { allText, expectFencesIntact, expectSlackAccepts } from './expect-slack-accepts.ts';

const pods: TableResult = {
  kind: 'table',
  title: 'Pods in staging',
  columns: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
  rows: [
    ['checkout-7f9c-abcde', '1/1', 'Running', '0', '3d'],
    ['checkout-7f9c-fgh', '0/1', 'CrashLoopBackOff', '12', '5m'],
    ['web-1', '1/1', 'Running', '1', '10d'],
  ],
  omitted: 0,
};

function podRow(i: number): string[] {
  return [`checkout-7f9c-${String(i).padStart(5, '0')}`, '1/1', 'Running', '0', '3d'];
}

describe('renderResult: table', () => {
  it('aligns the columns in a code block', () => {
    const message = renderResult(pods);
    expectSlackAccepts(message);
    expectFencesIntact(message);
    expect(message.text).toBe('Pods in staging (3 rows)');
    expect(allText(message)).toContain(
      [
        '```',
        'NAME                  READY   STATUS             RESTARTS   AGE',
        'checkout-7f9c-abcde   1/1     Running            0          3d',
        'checkout-7f9c-fgh     0/1     CrashLoopBackOff   12         5m',
        'web-1                 1/1     Running            1          10d',
        '```',
      ].join('\n'),
    );
    expect(allText(message)).not.toContain('not shown');
    expect(message).toMatchSnapshot();
  });

  it('cuts 200 pods to fit and counts them with the ones the command left out', () => {
    const message = renderResult({ ...pods, rows: Array.from({ length: 200 }, (_, i) => podRow(i)), omitted: 50 });
    expectSlackAccepts(message);
    expectFencesIntact(message);
    const text = allText(message);
    const shown = (text.match(/^checkout-7f9c-\d{5}/gm) ?? []).length;
    expect(shown).toBeGreaterThan(50);
    expect(shown).toBeLessThan(200);
    expect(text).toContain(`… ${250 - shown} more not shown`);
    expect(message.text).toBe('Pods in staging (250 rows)');
    expect(message).toMatchSnapshot();
  });

  it('says how many the command left out even when every row fits', () => {
    expect(allText(renderResult({ ...pods, omitted: 40 }))).toContain('… 40 more not shown');
  });

  it('escapes cells, keeps alignment on what is shown, and cannot be broken out of', () => {
    const message = renderResult({ ...pods, rows: [['a<b>&c', '```', 'x'.repeat(500), '0', '1d']] });
    expectSlackAccepts(message);
    expectFencesIntact(message);
    const text = allText(message);
    expect(text).toContain('a&lt;b&gt;&amp;c');
    expect(text).toContain(`${'x'.repeat(59)}…`);
    expect(text).not.toContain('x'.repeat(61));
  });

  it('shortens rows of a very wide table rather than dropping them all', () => {
    const columns = Array.from({ length: 80 }, (_, i) => `C${i}`);
    const message = renderResult({ ...pods, columns, rows: [columns.map(() => 'v'.repeat(40))] });
    expectSlackAccepts(message);
    expectFencesIntact(message);
    expect(allText(message)).toMatch(/^v{40} {3}v{40}.*…$/m);
    expect(allText(message)).not.toContain('not shown');
  });

  it('says when nothing was found', () => {
    const message = renderResult({ ...pods, rows: [] });
    expectSlackAccepts(message);
    expect(allText(message)).toBe('*Pods in staging*\n_No resources found._');
  });
});
