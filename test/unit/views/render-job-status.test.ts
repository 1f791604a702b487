import { describe, expect, it } from '@jest/globals';
import { renderJobStatus } from '../../../src/views/render-job-status.ts';
import type { JobStatusView } from '../../../src/views/job-status-view.ts';
import { allText, expectSlackAccepts } from './expect-slack-accepts.ts';

const deploy: JobStatusView = {
  requester: 'U0ALICE',
  description: 'deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging',
  state: 'queued',
  jobId: '42',
};

describe('renderJobStatus', () => {
  it('says who asked for what and that it is queued', () => {
    const message = renderJobStatus(deploy);
    expectSlackAccepts(message);
    expect(message.text).toBe('<@U0ALICE> → deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging · queued');
    expect(allText(message)).toContain('job `42`');
    expect(message).toMatchSnapshot();
  });

  it('keeps the lock holder a mention while waiting', () => {
    const message = renderJobStatus({
      ...deploy,
      state: 'waiting',
      detail: 'waiting for the lock on staging/checkout held by <@U0BOB> (deploy, job 12)',
    });
    expectSlackAccepts(message);
    expect(message.text).toBe(
      '<@U0ALICE> → deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging · waiting for the lock on staging/checkout held by <@U0BOB> (deploy, job 12)',
    );
    expect(message).toMatchSnapshot();
  });

  it('shows rollout progress while running', () => {
    const message = renderJobStatus({ ...deploy, state: 'running', detail: '2/3 updated · 1/3 available' });
    expect(message.text).toBe(
      '<@U0ALICE> → deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging · running · 2/3 updated · 1/3 available',
    );
    expectSlackAccepts(message);
    expect(message).toMatchSnapshot();
  });

  it('ends with ✅ and the duration, dropping the progress detail', () => {
    const message = renderJobStatus({ ...deploy, state: 'succeeded', durationMs: 12_300, detail: '3/3 updated' });
    expect(message.text).toBe(
      '✅ <@U0ALICE> → deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging · done in 12 s',
    );
    expectSlackAccepts(message);
    expect(message).toMatchSnapshot();
  });

  it('ends with ❌, the duration and the reason', () => {
    const message = renderJobStatus({
      ...deploy,
      state: 'failed',
      durationMs: 40_000,
      reason: 'ProgressDeadlineExceeded: 2 pods in CrashLoopBackOff',
    });
    expect(message.text).toBe(
      '❌ <@U0ALICE> → deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging · failed after 40 s: ProgressDeadlineExceeded: 2 pods in CrashLoopBackOff',
    );
    expectSlackAccepts(message);
    expect(message).toMatchSnapshot();
  });

  it('words long durations in minutes and hours', () => {
    expect(renderJobStatus({ ...deploy, state: 'succeeded', durationMs: 125_000 }).text).toMatch(/done in 2 min 5 s$/);
    expect(renderJobStatus({ ...deploy, state: 'failed', durationMs: 3_780_000 }).text).toMatch(
      /failed after 1 h 3 min$/,
    );
    expect(renderJobStatus({ ...deploy, state: 'succeeded', durationMs: 400 }).text).toMatch(/done in < 1 s$/);
    expect(renderJobStatus({ ...deploy, state: 'succeeded' }).text).toMatch(/ · done$/);
  });

  it('shows the cluster only when set', () => {
    expect(allText(renderJobStatus(deploy))).not.toContain('cluster');
    const message = renderJobStatus({ ...deploy, cluster: 'prod-eu' });
    expectSlackAccepts(message);
    expect(allText(message)).toContain('cluster `prod-eu` · job `42`');
  });

  it('has no context line when there is nothing to reference', () => {
    expect(renderJobStatus({ ...deploy, jobId: undefined }).blocks.map((block) => block.type)).toEqual(['section']);
  });

  it('escapes user text so it cannot ping the channel, and keeps it compact', () => {
    const message = renderJobStatus({
      ...deploy,
      description: `deploy <!channel> & ${'x'.repeat(5000)}`,
      reason: '<script>',
      state: 'failed',
      durationMs: 1000,
    });
    expectSlackAccepts(message);
    expect(message.text).toContain('deploy &lt;!channel&gt; &amp; xxx');
    expect(message.text).toContain('failed after 1 s: &lt;script&gt;');
    expect([...allText(message)].length).toBeLessThan(1000);
  });
});
