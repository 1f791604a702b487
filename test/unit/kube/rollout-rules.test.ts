// Pure: kubectl's rollout-complete rule and the early-failure thresholds.
import { describe, expect, it } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { allHopeless, defaultHardFailureRules, judgeDeployment } from '../../../src/kube/rollout-rules.ts';

const deployment = (status: k8s.V1DeploymentStatus, generation = 2, replicas = 3): k8s.V1Deployment => ({
  metadata: { generation },
  spec: { replicas, selector: {}, template: {} },
  status,
});
const pod = (reason: string, restartCount: number): k8s.V1Pod => ({
  status: {
    containerStatuses: [
      { name: 'app', image: 'x', imageID: '', ready: false, restartCount, state: { waiting: { reason } } },
    ],
  },
});

describe('judgeDeployment', () => {
  it('waits until the controller observed the generation', () => {
    expect(
      judgeDeployment(deployment({ observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })),
    ).toEqual({ state: 'progressing' });
  });
  it('waits while old replicas remain or updated ones are unavailable', () => {
    expect(
      judgeDeployment(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }))
        .state,
    ).toBe('progressing');
    expect(
      judgeDeployment(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }))
        .state,
    ).toBe('progressing');
  });
  it('completes when all replicas are updated and available', () => {
    expect(
      judgeDeployment(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })),
    ).toEqual({ state: 'complete' });
  });
  it('fails on ProgressDeadlineExceeded', () => {
    const status = {
      observedGeneration: 2,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "web-7f" has timed out progressing.',
        },
      ],
    };
    expect(judgeDeployment(deployment(status))).toEqual({
      state: 'failed',
      reason: 'ProgressDeadlineExceeded: ReplicaSet "web-7f" has timed out progressing.',
    });
  });
});

describe('allHopeless', () => {
  it('needs every pod hopeless, CrashLoopBackOff only after enough restarts', () => {
    expect(allHopeless([pod('CrashLoopBackOff', 2), pod('CrashLoopBackOff', 5)], defaultHardFailureRules)).toBe(
      'CrashLoopBackOff',
    );
    expect(allHopeless([pod('CrashLoopBackOff', 1)], defaultHardFailureRules)).toBeUndefined();
    expect(
      allHopeless([pod('ImagePullBackOff', 0), pod('ContainerCreating', 0)], defaultHardFailureRules),
    ).toBeUndefined();
    expect(
      allHopeless(
        [pod('ErrImagePull', 0), pod('ImagePullBackOff', 0), pod('ImagePullBackOff', 0)],
        defaultHardFailureRules,
      ),
    ).toBe('ImagePullBackOff');
    expect(allHopeless([], defaultHardFailureRules)).toBeUndefined();
  });
});
