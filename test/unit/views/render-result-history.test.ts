import { describe, expect, it } from '@jest/globals';
import type { HistoryResult, Revision } from '../../../src/results.ts';
import { renderResult } from '../../../src/views/render-result.ts';
import { allText, expectSlackAccepts } from './expect-slack-accepts.ts';

function revision(n: number, extra: Partial<Revision> = {}): Revision {
  return {
    revision: n,
    changeCause: `deploy checkout to 1.4.${n} by @alice`,
    images: [`ghcr.io/acme/checkout:1.4.${n}`],
    current: false,
    ...extra,
  };
}

const history: HistoryResult = {
  kind: 'history',
  namespace: 'staging',
  deployment: 'checkout',
  revisions: [
    revision(1),
    revision(2, { changeCause: undefined, images: ['ghcr.io/acme/checkout:1.4.2', 'ghcr.io/acme/sidecar:0.3'] }),
    revision(3, { current: true, createdAt: '2025-06-01T10:00:00Z' }),
  ],
};

describe('renderResult: history', () => {
  it('lists revisions newest first with change-cause and images, the current one marked', () => {
    const message = renderResult(history);
    expectSlackAccepts(message);
    const text = allText(message);
    expect(message.text).toBe('Rollout history of checkout in staging: 3 revisions');
    expect(text).toContain(
      '• *3* ← *current* · deploy checkout to 1.4.3 by @alice\n    `ghcr.io/acme/checkout:1.4.3` · 2025-06-01T10:00:00Z',
    );
    expect(text).toContain('_no change-cause_');
    expect(text.indexOf('• *3*')).toBeLessThan(text.indexOf('• *1*'));
    expect(message).toMatchSnapshot();
  });

  it('cuts the oldest of many revisions and says so', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      revision(i + 1, { current: i === 59, changeCause: `<b>&${'c'.repeat(1000)}` }),
    );
    const message = renderResult({ ...history, revisions: many });
    expectSlackAccepts(message);
    const text = allText(message);
    expect(text).toContain('*60* ← *current*');
    expect(text).toMatch(/… \d+ older revisions not shown/);
    const hidden = Number(/… (\d+) older/.exec(text)?.[1]);
    expect(hidden + (text.match(/^• \*/gm) ?? []).length).toBe(60);
    expect(text).toContain('&lt;b&gt;&amp;ccc');
  });

  it('says when there are no revisions', () => {
    const message = renderResult({ ...history, revisions: [] });
    expectSlackAccepts(message);
    expect(allText(message)).toContain('_No revisions found._');
  });
});
