// Classification rule by rule, from pod JSON as the API server sends it.
import { describe, expect, it } from '@jest/globals';
import { classifyPod } from '../../../src/watch/classify-pod.ts';
import { watchedPod, workloadOf, type PodJson } from '../../../src/watch/watched-pod.ts';

const now = Date.parse('2026-11-27T12:00:00Z');

function pod(status: PodJson['status'], meta: Partial<NonNullable<PodJson['metadata']>> = {}): PodJson {
  return {
    metadata: {
      uid: 'u1',
      name: 'web-7d4b9c6f5-x2x9q',
      namespace: 'prod',
      creationTimestamp: '2026-11-27T11:00:00Z',
      labels: { 'pod-template-hash': '7d4b9c6f5' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9c6f5', controller: true }],
      ...meta,
    },
    status,
  };
}

const waiting = (reason: string, extra: object = {}): PodJson['status'] => ({
  phase: 'Running',
  containerStatuses: [
    { name: 'sidecar', ready: true, restartCount: 0, state: {} },
    {
      name: 'web',
      ready: false,
      restartCount: 4,
      state: { waiting: { reason, message: `${reason} message` } },
      ...extra,
    },
  ],
});

const classify = (p: PodJson, baseline?: number): ReturnType<typeof classifyPod> =>
  classifyPod(watchedPod(p), now, baseline);

describe('classifyPod', () => {
  it('names CrashLoopBackOff with the last termination reason and exit code', () => {
    expect(
      classify(pod(waiting('CrashLoopBackOff', { lastState: { terminated: { reason: 'Error', exitCode: 2 } } }))),
    ).toEqual({
      reason: 'CrashLoopBackOff',
      container: 'web',
      restarts: 4,
      message: 'CrashLoopBackOff message',
      lastTerminated: { reason: 'Error', exitCode: 2 },
    });
  });

  it('calls a crash loop whose last instance was OOM-killed OOMKilled', () => {
    expect(
      classify(pod(waiting('CrashLoopBackOff', { lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }))),
    ).toMatchObject({
      reason: 'OOMKilled',
      lastTerminated: { reason: 'OOMKilled', exitCode: 137 },
    });
  });

  it.each([['ErrImagePull'], ['ImagePullBackOff'], ['InvalidImageName']])(
    'folds %s into ImagePullBackOff, keeping the message',
    (reason) => {
      expect(classify(pod(waiting(reason)))).toMatchObject({
        reason: 'ImagePullBackOff',
        message: `${reason} message`,
      });
    },
  );

  it.each([['CreateContainerConfigError'], ['CreateContainerError']])('reports %s', (reason) => {
    expect(classify(pod(waiting(reason)))).toMatchObject({ reason, container: 'web' });
  });

  it("reports an evicted pod with the node's reason", () => {
    expect(
      classify(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' })),
    ).toEqual({
      reason: 'Evicted',
      restarts: 0,
      message: 'The node was low on resource: memory.',
    });
  });

  it('reports Unschedulable only after the threshold', () => {
    const pending = (since: string): PodJson =>
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/1 nodes are available',
            lastTransitionTime: since,
          },
        ],
      });
    expect(classify(pending('2026-11-27T11:59:30Z'))).toBeUndefined();
    expect(classify(pending('2026-11-27T11:58:30Z'))).toEqual({
      reason: 'Unschedulable',
      restarts: 0,
      message: '0/1 nodes are available',
    });
  });

  it('reports a jump of restarts over the first count seen, even while running', () => {
    const running = pod({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'web',
          ready: true,
          restartCount: 7,
          state: {},
          lastState: { terminated: { reason: 'Error', exitCode: 1 } },
        },
      ],
    });
    expect(classify(running, 5)).toBeUndefined();
    expect(classify(running, 4)).toMatchObject({
      reason: 'RestartJump',
      container: 'web',
      restarts: 7,
      lastTerminated: { reason: 'Error', exitCode: 1 },
    });
    expect(classify(running)).toBeUndefined();
  });

  it.each([
    ['being deleted', pod(waiting('CrashLoopBackOff'), { deletionTimestamp: '2026-11-27T11:59:00Z' })],
    [
      'a completed Job pod',
      pod({
        phase: 'Succeeded',
        containerStatuses: [
          { name: 'job', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
        ],
      }),
    ],
    [
      'healthy',
      pod({ phase: 'Running', containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: {} }] }),
    ],
    [
      'starting',
      pod({
        phase: 'Pending',
        containerStatuses: [{ name: 'web', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
      }),
    ],
    ['failed for another reason', pod({ phase: 'Failed', reason: 'DeadlineExceeded' })],
  ])('is not a failure when %s', (_what, p) => {
    expect(classify(p)).toBeUndefined();
  });

  it('looks at init containers first', () => {
    const p = pod({
      phase: 'Pending',
      initContainerStatuses: [{ name: 'migrate', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      containerStatuses: [{ name: 'web', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(classify(p)).toMatchObject({ reason: 'CrashLoopBackOff', container: 'migrate' });
  });
});

describe('workloadOf', () => {
  it.each([
    ['a Deployment through its ReplicaSet', pod({}), { kind: 'Deployment', name: 'web' }],
    ['a ReplicaSet of its own', pod({}, { labels: {} }), { kind: 'ReplicaSet', name: 'web-7d4b9c6f5' }],
    [
      'a StatefulSet',
      pod({}, { ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] }),
      { kind: 'StatefulSet', name: 'db' },
    ],
    [
      'a DaemonSet',
      pod({}, { ownerReferences: [{ kind: 'DaemonSet', name: 'agent', controller: true }] }),
      { kind: 'DaemonSet', name: 'agent' },
    ],
    [
      'a Job',
      pod({}, { ownerReferences: [{ kind: 'Job', name: 'backup-29012', controller: true }] }),
      { kind: 'Job', name: 'backup-29012' },
    ],
    ['a bare pod', pod({}, { name: 'debug', ownerReferences: [] }), { kind: 'Pod', name: 'debug' }],
    [
      'an unknown owner',
      pod({}, { name: 'x', ownerReferences: [{ kind: 'Rollout', name: 'r', controller: true }] }),
      { kind: 'Pod', name: 'x' },
    ],
  ])('finds %s', (_what, p, expected) => {
    expect(workloadOf(p)).toEqual(expected);
  });

  it('bounds messages that will end up in Slack', () => {
    expect(watchedPod(pod({ phase: 'Failed', reason: 'Evicted', message: 'x'.repeat(5000) })).message).toHaveLength(
      300,
    );
  });
});
