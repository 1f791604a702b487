// The tracker groups failing pods by subject, reports each change once, and
// declares recovery after a quiet period — on a fake clock.
import { describe, expect, it } from '@jest/globals';
import { createFailureTracker, type SubjectState } from '../../../src/watch/failure-tracker.ts';
import type { PodJson } from '../../../src/watch/watched-pod.ts';

function crashing(
  name: string,
  restarts: number,
  state: 'CrashLoopBackOff' | 'running' | 'healthy' = 'CrashLoopBackOff',
): PodJson {
  const waiting = state === 'CrashLoopBackOff' ? { waiting: { reason: 'CrashLoopBackOff' } } : {};
  return {
    metadata: {
      uid: name,
      name,
      namespace: 'prod',
      labels: { 'pod-template-hash': 'abc12' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc12', controller: true }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'web',
          ready: state === 'healthy',
          restartCount: restarts,
          state: waiting,
          lastState: { terminated: { reason: 'Error', exitCode: 1 } },
        },
      ],
    },
  };
}

function harness(): {
  tracker: ReturnType<typeof createFailureTracker>;
  changes: SubjectState[];
  clock: { t: number };
} {
  const changes: SubjectState[] = [];
  const clock = { t: 1_000_000 };
  const tracker = createFailureTracker({ onChange: (s) => changes.push(s), recoverAfterMs: 5_000, now: () => clock.t });
  return { tracker, changes, clock };
}

describe('failure tracker', () => {
  it('groups the pods of one workload and reason into one subject, newest pod first', () => {
    const { tracker, changes } = harness();
    for (let i = 0; i < 20; i++) tracker.upsert(crashing(`web-abc12-${i}`, 1));
    expect(new Set(changes.map((c) => c.key))).toEqual(new Set(['prod/Deployment/web/CrashLoopBackOff']));
    expect(changes.at(-1)?.pods).toHaveLength(20);
    expect(changes.at(-1)?.pods[0]?.name).toBe('web-abc12-19');
  });

  it('keeps when each failing pod was created, so a change is told only of pods it may have made', () => {
    const { tracker, changes } = harness();
    const pod = crashing('a', 1);
    tracker.upsert({ ...pod, metadata: { ...pod.metadata, creationTimestamp: '2026-11-27T12:00:05Z' } });
    expect(changes.at(-1)?.pods[0]?.createdAt).toBe(Date.parse('2026-11-27T12:00:05Z'));
  });

  it('reports nothing when a pod is seen again unchanged (a relist, a watcher restart)', () => {
    const { tracker, changes } = harness();
    tracker.upsert(crashing('a', 1));
    tracker.listStart();
    tracker.upsert(crashing('a', 1));
    tracker.listEnd();
    expect(changes).toHaveLength(1);
    tracker.upsert(crashing('a', 2));
    expect(changes.map((c) => c.pods[0]?.failure.restarts)).toEqual([1, 2]);
  });

  it('keeps a crash loop a crash loop while the pod briefly runs between crashes', () => {
    const { tracker, changes } = harness();
    tracker.upsert(crashing('a', 1));
    tracker.upsert(crashing('a', 5, 'running'));
    expect(new Set(changes.map((c) => c.key))).toEqual(new Set(['prod/Deployment/web/CrashLoopBackOff']));
  });

  it('declares recovery once, after the quiet period, when no pod fails any more', () => {
    const { tracker, changes, clock } = harness();
    tracker.upsert(crashing('a', 1));
    tracker.upsert(crashing('a', 1, 'healthy'));
    expect(changes.at(-1)).toMatchObject({ pods: [], recovered: false });
    clock.t += 4_000;
    tracker.tick();
    expect(changes.filter((c) => c.recovered)).toHaveLength(0);
    clock.t += 2_000;
    tracker.tick();
    tracker.tick();
    expect(changes.filter((c) => c.recovered)).toHaveLength(1);
  });

  it('does not recover when a replacement pod fails the same way within the quiet period', () => {
    const { tracker, changes, clock } = harness();
    tracker.upsert(crashing('a', 1));
    tracker.remove(crashing('a', 1));
    clock.t += 1_000;
    tracker.upsert(crashing('b', 0));
    clock.t += 10_000;
    tracker.tick();
    expect(changes.filter((c) => c.recovered)).toHaveLength(0);
    expect(tracker.failingKeys()).toEqual(new Set(['prod/Deployment/web/CrashLoopBackOff']));
  });

  it('forgets pods a relist no longer shows', () => {
    const { tracker, changes } = harness();
    tracker.upsert(crashing('a', 1));
    tracker.upsert(crashing('b', 1));
    tracker.listStart();
    tracker.upsert(crashing('b', 1));
    tracker.listEnd();
    expect(changes.at(-1)?.pods.map((p) => p.name)).toEqual(['b']);
    expect(tracker.size()).toBe(1);
  });

  it('turns an unschedulable pod into a failure by the clock alone', () => {
    const changes: SubjectState[] = [];
    const clock = { t: Date.parse('2026-11-27T12:00:00Z') };
    const tracker = createFailureTracker({
      onChange: (s) => changes.push(s),
      now: () => clock.t,
      classify: { unschedulableAfterMs: 30_000, restartJump: 3 },
    });
    tracker.upsert({
      metadata: { uid: 'p', name: 'p', namespace: 'prod' },
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: 'no nodes',
            lastTransitionTime: '2026-11-27T12:00:00Z',
          },
        ],
      },
    });
    tracker.tick();
    expect(changes).toHaveLength(0);
    clock.t += 31_000;
    tracker.tick();
    expect(changes.map((c) => c.key)).toEqual(['prod/Pod/p/Unschedulable']);
  });
});
