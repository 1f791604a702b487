import { describe, expect, it } from '@jest/globals';
import type { FailingPod, RolloutResult, WarningEvent } from '../../../src/results.ts';
import { renderResult } from '../../../src/views/render-result.ts';
import { allText, expectSlackAccepts } from './expect-slack-accepts.ts';

const complete: RolloutResult = {
  kind: 'rollout',
  action: 'deploy',
  namespace: 'staging',
  deployment: 'checkout',
  outcome: 'complete',
  progress: { desired: 3, updated: 3, ready: 3, available: 3, observed: true },
  durationMs: 12_000,
  change: 'checkout: ghcr.io/acme/checkout:1.4.1 → ghcr.io/acme/checkout:1.4.2',
  failingPods: [],
  events: [],
};

function crashingPod(i: number): FailingPod {
  return {
    name: `checkout-7f9c-${String(i).padStart(5, '0')}`,
    phase: 'Running',
    ready: false,
    restarts: 7,
    reason: 'CrashLoopBackOff',
    message: 'back-off 5m0s restarting failed container=checkout',
    lastTermination: { reason: 'OOMKilled', exitCode: 137 },
  };
}

function backOff(i: number): WarningEvent {
  return {
    object: `Pod/checkout-7f9c-${String(i).padStart(5, '0')}`,
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    count: 12,
    lastSeen: '30s ago',
  };
}

const failed: RolloutResult = {
  ...complete,
  outcome: 'failed',
  durationMs: 40_000,
  progress: { desired: 3, updated: 1, ready: 2, available: 2, observed: true },
  reason: 'ProgressDeadlineExceeded: ReplicaSet "checkout-7f9c" has timed out progressing.',
  failingPods: [
    crashingPod(1),
    {
      name: 'checkout-7f9c-xyz',
      phase: 'Pending',
      ready: false,
      restarts: 0,
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "ghcr.io/acme/checkout:1.4.2"',
    },
  ],
  events: [
    backOff(1),
    {
      object: 'Pod/checkout-7f9c-xyz',
      reason: 'Failed',
      message: 'Failed to pull image: not found',
      count: 1,
      lastSeen: '1m ago',
    },
  ],
};

describe('renderResult: rollout', () => {
  it('reports a complete deploy with what changed and the replica counts', () => {
    const message = renderResult(complete);
    expectSlackAccepts(message);
    expect(message.text).toBe('✅ Deploy of checkout in staging complete in 12 s');
    expect(allText(message)).toContain('3/3 updated · 3/3 ready · 3/3 available');
    expect(allText(message)).toContain('`checkout: ghcr.io/acme/checkout:1.4.1 → ghcr.io/acme/checkout:1.4.2`');
    expect(message).toMatchSnapshot();
  });

  it('lists failing pods with waiting reason, restarts and last exit, then the warning events', () => {
    const message = renderResult(failed);
    expectSlackAccepts(message);
    const text = allText(message);
    expect(message.text).toMatch(/^❌ Deploy of checkout in staging failed after 40 s: ProgressDeadlineExceeded/);
    expect(text).toContain('*CrashLoopBackOff* · 7 restarts · last exit: OOMKilled (code 137)');
    expect(text).toContain('*Latest warning events* (2)');
    expect(text).toContain('*Reason:* ProgressDeadlineExceeded: ReplicaSet "checkout-7f9c" has timed out progressing.');
    expect(text).not.toContain('not shown');
    expect(message).toMatchSnapshot();
  });

  it('words a timeout, a rollback and a change the controller has not seen yet', () => {
    const message = renderResult({
      ...failed,
      action: 'undo',
      outcome: 'timeout',
      durationMs: 300_000,
      progress: { ...failed.progress, observed: false },
    });
    expectSlackAccepts(message);
    expect(message.text).toMatch(/^❌ Rollback of checkout in staging timed out after 5 min/);
    expect(allText(message)).toContain('change not yet seen by the controller');
  });

  it('keeps 200 failing pods and 200 events to a compact list and says how many were left out', () => {
    const message = renderResult({
      ...failed,
      failingPods: Array.from({ length: 200 }, (_, i) => crashingPod(i)),
      events: Array.from({ length: 200 }, (_, i) => backOff(i)),
    });
    expectSlackAccepts(message);
    const text = allText(message);
    expect(text).toContain('*Failing pods* (200)');
    expect(text).toContain('… 190 more failing pods not shown');
    expect(text).toContain('… 190 more events not shown');
    expect(text).toContain('checkout-7f9c-00009');
    expect(text).not.toContain('checkout-7f9c-00010`');
    expect(message).toMatchSnapshot();
  });

  it('escapes names and messages with <>& and cuts huge ones', () => {
    const message = renderResult({
      ...failed,
      deployment: 'web<&>',
      failingPods: [{ ...crashingPod(1), name: 'pod`<@U0EVE>`', message: `<!channel> ${'m'.repeat(20_000)}` }],
      events: [{ ...backOff(1), message: `a & b <https://evil|click> ${'e'.repeat(20_000)}` }],
    });
    expectSlackAccepts(message);
    const text = allText(message);
    expect(text).toContain('`web&lt;&amp;&gt;`');
    expect(text).toContain('`podˋ&lt;@U0EVE&gt;ˋ`');
    expect(text).toContain('&lt;!channel&gt; mmm');
    expect(text).toContain('a &amp; b &lt;https://evil|click&gt; eee');
    expect(message).toMatchSnapshot();
  });
});
