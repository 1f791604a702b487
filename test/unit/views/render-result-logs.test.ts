import { describe, expect, it } from '@jest/globals';
import type { LogsResult } from '../../../src/results.ts';
import { renderResult } from '../../../src/views/render-result.ts';
import { allText, blockTexts, expectFencesIntact, expectSlackAccepts } from './expect-slack-accepts.ts';

const logs: LogsResult = {
  kind: 'logs',
  namespace: 'prod',
  pod: 'checkout-7f9c-abcde',
  container: 'checkout',
  previous: false,
  lines: [
    '2025-06-01T10:00:00Z starting checkout 1.4.2',
    '2025-06-01T10:00:01Z listening on :8080',
    '2025-06-01T10:00:02Z ready',
  ],
  truncated: false,
};

describe('renderResult: logs', () => {
  it('puts the lines in a code block under a header naming pod and container', () => {
    const message = renderResult(logs);
    expectSlackAccepts(message);
    expectFencesIntact(message);
    expect(message.text).toBe('Logs of checkout-7f9c-abcde/checkout (3 lines)');
    expect(blockTexts(message)[0]).toBe('*Logs of* `checkout-7f9c-abcde` / `checkout` in `prod`');
    expect(allText(message)).toContain(
      '```\n2025-06-01T10:00:00Z starting checkout 1.4.2\n2025-06-01T10:00:01Z listening on :8080\n2025-06-01T10:00:02Z ready\n```',
    );
    expect(message).toMatchSnapshot();
  });

  it('marks the previous container and a tail the command truncated', () => {
    const message = renderResult({ ...logs, previous: true, truncated: true });
    expectSlackAccepts(message);
    expect(blockTexts(message)[0]).toContain('(previous container)');
    expect(allText(message)).toContain('(truncated)');
    expect(message.text).toContain('truncated');
  });

  it('keeps the newest of 1000 lines and says how many earlier ones are not shown', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `2025-06-01T10:00:00Z line ${i} GET /api/cart 200 12ms`);
    const message = renderResult({ ...logs, lines });
    expectSlackAccepts(message);
    expectFencesIntact(message);
    const text = allText(message);
    expect(text).toContain('line 999 GET');
    expect(text).not.toContain('line 0 GET');
    const shown = (text.match(/ line \d+ GET/g) ?? []).length;
    expect(text).toContain(`… ${1000 - shown} earlier lines not shown`);
    expect(message).toMatchSnapshot();
  });

  it('shortens a 10 KB single line instead of failing the message', () => {
    const message = renderResult({ ...logs, lines: [`{"msg":"${'x'.repeat(10_240)}"}`, 'after'] });
    expectSlackAccepts(message);
    expectFencesIntact(message);
    const text = allText(message);
    expect(text).toContain('lines over 1000 characters shortened');
    expect(text).toContain('x…\nafter');
    expect(text).not.toContain('earlier lines not shown');
  });

  it('keeps ``` in a log line from closing the code block', () => {
    const message = renderResult({ ...logs, lines: ['before', '```', 'inside ```*bold* <!channel>``` & more', '``'] });
    expectSlackAccepts(message);
    expectFencesIntact(message);
    const text = allText(message);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&amp; more');
    const bodies = blockTexts(message)
      .filter((t) => t.startsWith('```\n'))
      .map((t) => t.slice(4, -4));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toMatch(/``|^`|`$/m);
    expect(message).toMatchSnapshot();
  });

  it('escapes <>& in names and lines, drops terminal colour codes', () => {
    const message = renderResult({ ...logs, pod: 'p<&>', lines: ['\u001b[31mERROR\u001b[0m a<b & c>d\r'] });
    expectSlackAccepts(message);
    const text = allText(message);
    expect(text).toContain('`p&lt;&amp;&gt;`');
    expect(text).toContain('\nERROR a&lt;b &amp; c&gt;d\n');
  });

  it('says when there are no lines', () => {
    const message = renderResult({ ...logs, lines: [] });
    expectSlackAccepts(message);
    expect(allText(message)).toContain('_No log lines._');
    expect(message.text).toContain('0 lines');
  });
});
