import { describe, expect, it } from '@jest/globals';
import { planChange, planDrift } from '../../../src/approvals/plan-change.ts';
import type { DeploymentSummary } from '../../../src/kube/kube-api.ts';

const web: DeploymentSummary = {
  namespace: 'prod',
  name: 'web',
  generation: 7,
  revision: 4,
  containers: [
    { name: 'web', image: 'ghcr.io/acme/web:1.9' },
    { name: 'proxy', image: 'envoy:1.30' },
  ],
  progress: { desired: 3, updated: 3, ready: 3, available: 3, observed: true },
};

describe('planChange', () => {
  it.each([
    [
      'deploy',
      { deployment: 'web', image: 'ghcr.io/acme/web:2.0', namespace: 'prod' },
      'web: ghcr.io/acme/web:1.9 → ghcr.io/acme/web:2.0',
    ],
    [
      'deploy',
      { deployment: 'web', image: 'envoy:1.31', namespace: 'prod', container: 'proxy' },
      'proxy: envoy:1.30 → envoy:1.31',
    ],
    ['scale', { deployment: 'web', replicas: '5', namespace: 'prod' }, 'web replicas: 3 → 5'],
    ['rollout undo', { deployment: 'web', namespace: 'prod' }, 'web: back from revision 4 to the previous revision'],
    ['rollout restart', { deployment: 'web', namespace: 'prod' }, 'web: restart all 3 pod(s)'],
  ])('%s %j → %s', (command, input, change) => {
    expect(planChange(web, command, input)).toEqual({
      generation: 7,
      images: ['ghcr.io/acme/web:1.9', 'envoy:1.30'],
      replicas: 3,
      change,
    });
  });
});

describe('planDrift', () => {
  const plan = planChange(web, 'deploy', { image: 'ghcr.io/acme/web:2.0' });

  it('finds nothing when the target is as planned', () => {
    expect(planDrift(plan, web)).toBeUndefined();
  });

  it.each([
    [
      'another image',
      {
        ...web,
        generation: 8,
        containers: [
          { name: 'web', image: 'ghcr.io/acme/web:1.9-hotfix' },
          { name: 'proxy', image: 'envoy:1.30' },
        ],
      },
      'images ghcr.io/acme/web:1.9, envoy:1.30 → ghcr.io/acme/web:1.9-hotfix, envoy:1.30',
    ],
    ['other replicas', { ...web, progress: { ...web.progress, desired: 1 } }, 'replicas 3 → 1'],
    ['another generation', { ...web, generation: 9 }, 'generation 7 → 9 (its spec was edited)'],
  ])('says what changed: %s', (_what, now, words) => {
    const drift = planDrift(plan, now);
    expect(drift).toContain(words);
    expect(drift).toContain('Nothing was done');
  });
});

describe('planDrift, for a run of the approved job again', () => {
  const plan = planChange(web, 'deploy', { image: 'ghcr.io/acme/web:2.0' });
  const changedByJob = (job: string): DeploymentSummary => ({
    ...web,
    generation: 8,
    containers: [
      { name: 'web', image: 'ghcr.io/acme/web:2.0' },
      { name: 'proxy', image: 'envoy:1.30' },
    ],
    lastRequest: job,
  });

  it("takes the job's own earlier change (a retry, a lost worker) for the approved one", () => {
    expect(planDrift(plan, changedByJob('slack-approved'), 'slack-approved')).toBeUndefined();
  });

  it('still stops at a change made by another job, or when the job is not known', () => {
    expect(planDrift(plan, changedByJob('slack-someone-else'), 'slack-approved')).toContain(
      'changed since the request was approved',
    );
    expect(planDrift(plan, changedByJob('slack-approved'))).toContain('changed since the request was approved');
  });
});
