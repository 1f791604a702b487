// Dedupe rules without Redis: what opens a new episode, what edits, what changes nothing.
import { describe, expect, it } from '@jest/globals';
import { observe, type AlertRecord } from '../../../src/alerts/alert-record.ts';
import type { SubjectState } from '../../../src/watch/failure-tracker.ts';

const subject = {
  namespace: 'prod',
  workload: { kind: 'Deployment' as const, name: 'web' },
  reason: 'CrashLoopBackOff' as const,
};
const state = (pods: [string, number][], recovered = false): SubjectState => ({
  subject,
  key: 'prod/Deployment/web/CrashLoopBackOff',
  recovered,
  pods: pods.map(([name, restarts]) => ({ name, failure: { reason: 'CrashLoopBackOff', container: 'web', restarts } })),
});
const context = (now: number) => ({ cluster: 'prod', channel: 'C0ALERTS', now, cooldownMs: 600_000 });

describe('observe', () => {
  it('opens an episode, then counts a new pod and each further restart once', () => {
    const first = observe(undefined, state([['a', 1]]), context(1000));
    expect(first.change).toBe('opened');
    expect(first.record).toMatchObject({ state: 'firing', occurrences: 1, podCount: 1, version: 1 });
    const second = observe(
      first.record,
      state([
        ['b', 0],
        ['a', 3],
      ]),
      context(2000),
    );
    expect(second.change).toBe('updated');
    expect(second.record).toMatchObject({ occurrences: 4, podCount: 2, version: 2, lastSeen: 2000, firstSeen: 1000 });
  });

  it('changes nothing when the same pods are seen again (a relist or a watcher restart)', () => {
    const { record } = observe(undefined, state([['a', 1]]), context(1000));
    const again = observe(record, state([['a', 1]]), context(5000));
    expect(again.change).toBe('unchanged');
    expect(again.record).toBe(record);
  });

  it('recovers a firing episode once, and only when the tracker says so', () => {
    const { record } = observe(undefined, state([['a', 1]]), context(1000));
    expect(observe(record, state([]), context(2000)).change).toBe('unchanged');
    const done = observe(record, state([], true), context(3000));
    expect(done).toMatchObject({ change: 'recovered', record: { state: 'recovered', recoveredAt: 3000, version: 2 } });
    expect(observe(done.record, state([], true), context(4000)).change).toBe('unchanged');
  });

  it('opens a new episode, linking the old message, after a recovery or once the message is older than the cooldown', () => {
    const { record } = observe(undefined, state([['a', 1]]), context(1000));
    const posted: AlertRecord = {
      ...(record as AlertRecord),
      message: { channel: 'C0ALERTS', ts: '1.000100', postedAt: 1000 },
    };
    expect(observe(posted, state([['a', 2]]), context(60_000)).change).toBe('updated');
    const late = observe(posted, state([['a', 9]]), context(700_000));
    expect(late).toMatchObject({
      change: 'opened',
      record: { previous: { channel: 'C0ALERTS', ts: '1.000100' }, occurrences: 1, version: 2 },
    });
    expect(late.record?.message).toBeUndefined();
  });

  it('keeps at most 20 pods in the record while counting them all', () => {
    const many = Array.from({ length: 50 }, (_, i): [string, number] => [`p${i}`, 0]);
    expect(observe(undefined, state(many), context(1000)).record).toMatchObject({ podCount: 50, occurrences: 50 });
    expect(observe(undefined, state(many), context(1000)).record?.pods).toHaveLength(20);
  });
});
