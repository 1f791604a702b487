// The pure half of leader election: when a replica may take the Lease, what it
// counts as a change, and what it writes. The API half runs against a real
// API server in test/integration/kube/leader-election.test.ts.
import { describe, expect, it } from '@jest/globals';
import {
  decideOnLease,
  holdingSpec,
  leaseDurationSeconds,
  observeLease,
  startLeaderElection,
  type Lease,
  type LeaderElectionOptions,
  type LeaseSpec,
} from '../../../src/kube/leader-election.ts';
import type { KubeConnection } from '../../../src/kube/kube-connection.ts';

const lease = (resourceVersion: string, spec: LeaseSpec): Lease => ({ metadata: { name: 'l', resourceVersion }, spec });

describe('observeLease', () => {
  it("starts the clock when it first sees a version, from the Lease's own duration", () => {
    expect(
      observeLease(
        undefined,
        lease('7', { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '1970-01-01T00:00:00.000000Z' }),
        1_000,
      ),
    ).toEqual({ resourceVersion: '7', holder: 'a', leaseDurationMs: 15_000, observedAt: 1_000 });
  });

  it('keeps the first observation time while the version does not change, whatever renewTime says', () => {
    const first = observeLease(undefined, lease('7', { holderIdentity: 'a', leaseDurationSeconds: 15 }), 1_000);
    expect(observeLease(first, lease('7', { holderIdentity: 'a', leaseDurationSeconds: 15 }), 9_000)).toBe(first);
  });

  it('restarts the clock when the holder renews (a new version)', () => {
    const first = observeLease(undefined, lease('7', { holderIdentity: 'a', leaseDurationSeconds: 15 }), 1_000);
    expect(observeLease(first, lease('8', { holderIdentity: 'a', leaseDurationSeconds: 15 }), 9_000).observedAt).toBe(
      9_000,
    );
  });

  it('reads a missing holder as released', () => {
    expect(observeLease(undefined, lease('1', {}), 0).holder).toBe('');
  });
});

describe('decideOnLease', () => {
  const held = { resourceVersion: '7', holder: 'a', leaseDurationMs: 15_000, observedAt: 1_000 };

  it("stands by while another holder's lease has not run out since it last changed", () => {
    expect(decideOnLease(held, 'b', 1_000)).toBe('stand-by');
    expect(decideOnLease(held, 'b', 15_999)).toBe('stand-by');
  });

  it('takes a lease that has not changed for a whole lease duration', () => {
    expect(decideOnLease(held, 'b', 16_000)).toBe('take');
  });

  it('takes a released lease at once', () => {
    expect(decideOnLease({ ...held, holder: '' }, 'b', 1_000)).toBe('take');
  });

  it('renews its own', () => {
    expect(decideOnLease(held, 'a', 1_000)).toBe('renew');
    expect(decideOnLease(held, 'a', 99_000)).toBe('renew');
  });
});

describe('holdingSpec', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

  it('creates with no transitions, acquireTime = renewTime, in microsecond form', () => {
    const spec = holdingSpec(undefined, 'a', 15_000, at);
    expect(spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(JSON.parse(JSON.stringify(spec))).toMatchObject({
      renewTime: '2026-01-02T03:04:05.678000Z',
      acquireTime: '2026-01-02T03:04:05.678000Z',
    });
  });

  it('renewing keeps acquireTime and transitions', () => {
    const current = {
      holderIdentity: 'a',
      acquireTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 3,
      leaseDurationSeconds: 15,
    };
    const spec = holdingSpec(current, 'a', 15_000, at);
    expect(spec).toMatchObject({
      holderIdentity: 'a',
      acquireTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 3,
    });
    expect(JSON.parse(JSON.stringify(spec))).toMatchObject({ renewTime: '2026-01-02T03:04:05.678000Z' });
  });

  it('taking over (expired or released) counts a transition and starts a new acquireTime', () => {
    for (const holderIdentity of ['b', '']) {
      const current = {
        holderIdentity,
        acquireTime: '2026-01-01T00:00:00.000000Z',
        leaseTransitions: 3,
        leaseDurationSeconds: 1,
      };
      expect(JSON.parse(JSON.stringify(holdingSpec(current, 'a', 15_000, at)))).toMatchObject({
        holderIdentity: 'a',
        leaseTransitions: 4,
        leaseDurationSeconds: 15,
        acquireTime: '2026-01-02T03:04:05.678000Z',
      });
    }
  });
});

describe('leaseDurationSeconds', () => {
  it('rounds up to whole seconds, at least one, so standbys wait at least as long as the leader counts on', () => {
    expect([15_000, 2_500, 1, 0].map(leaseDurationSeconds)).toEqual([15, 3, 1, 1]);
  });
});

describe('startLeaderElection', () => {
  const options = (timing: Partial<LeaderElectionOptions>): LeaderElectionOptions => ({
    connection: {} as KubeConnection,
    namespace: 'coxswain',
    name: 'l',
    identity: 'a',
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
    log: () => undefined,
    ...timing,
  });

  it('refuses durations where the leader could not renew before it must step down', () => {
    expect(() => startLeaderElection(options({ leaseDurationMs: 3_000, renewEveryMs: 3_000 }))).toThrow(/renewEveryMs/);
    expect(() =>
      startLeaderElection(options({ leaseDurationMs: 10_000, renewEveryMs: 5_000, stepDownMarginMs: 5_000 })),
    ).toThrow(/renewEveryMs/);
    expect(() => startLeaderElection(options({ retryEveryMs: 0 }))).toThrow(/positive/);
  });
});
