// runJob with fakes: what is re-validated, when the lock is taken, what is told to
// Slack, and which failures are retried.
import { describe, expect, it } from '@jest/globals';
import { createRegistry } from '../../../commands/index.ts';
import type { AuditEntry } from '../../../src/audit/audit-record.ts';
import { AppError } from '../../../src/errors.ts';
import type { KubeApi } from '../../../src/kube/kube-api.ts';
import { WaitInLine } from '../../../src/queue/deployment-lock.ts';
import type { JobMessenger } from '../../../src/queue/job-messenger.ts';
import type { JobPayload } from '../../../src/queue/job-payload.ts';
import { sealedContent } from '../../../src/queue/job-queue.ts';
import { maxJobAgeMs, runJob, type JobEnvelope, type JobRunnerDeps } from '../../../src/queue/run-job.ts';
import { createSealer } from '../../../src/seal/sealer.ts';
import type { JobStatusView } from '../../../src/views/job-status-view.ts';

const progress = { desired: 2, updated: 2, ready: 2, available: 2, observed: true };

function fakeKube(overrides: Partial<KubeApi> = {}): KubeApi {
  const unexpected = (): never => {
    throw new Error('unexpected kube call');
  };
  return {
    readDeployment: unexpected,
    scale: unexpected,
    findAutoscaler: async () => undefined,
    restart: unexpected,
    undo: unexpected,
    history: unexpected,
    listDeployments: unexpected,
    listPods: unexpected,
    readLogs: unexpected,
    podEvents: unexpected,
    setImage: async () => ({ container: 'web', previousImage: 'ghcr.io/acme/web:1.0', generation: 2 }),
    followRollout: async () => ({ outcome: 'complete', progress, failingPods: [], events: [] }),
    ...overrides,
  };
}

interface Harness {
  deps: JobRunnerDeps;
  roots: JobStatusView[];
  replies: string[];
  locks: string[];
  logs: string[];
  audits: AuditEntry[];
}

function harness(kube: KubeApi = fakeKube(), denied: ReadonlySet<string> = new Set()): Harness {
  const roots: JobStatusView[] = [];
  const replies: string[] = [];
  const locks: string[] = [];
  const logs: string[] = [];
  const audits: AuditEntry[] = [];
  const messenger: JobMessenger = {
    updateRoot: async (view) => {
      roots.push(view);
    },
    reply: async (message) => {
      replies.push(message.text);
    },
    replyPrivately: async (message) => {
      replies.push(`(only the requester) ${message.text}`);
    },
  };
  const deps: JobRunnerDeps = {
    registry: createRegistry({ maxReplicas: 10 }),
    rolloutTimeoutMs: 1000,
    kube,
    cluster: 'prod',
    kubeAs: () => {
      throw new Error('no binding here names a Kubernetes identity');
    },
    messengerFor: () => messenger,
    lock: async (target) => {
      locks.push(target);
      return {
        release: async (how) => {
          locks.push(`released ${target}${how?.keepPlace ? ' (keeps its place)' : ''}`);
        },
      };
    },
    progressIntervalMs: 0,
    approvals: {
      bindPlan: async () => {
        throw new Error('no plan jobs here');
      },
      verify: async () => undefined,
      failPlan: async () => undefined,
    },
    holds: { blocking: async () => undefined },
    authorizer: {
      check: async (_actor, request) =>
        denied.has(request.verb)
          ? { allowed: false, reason: `You may not ${request.verb}.` }
          : { allowed: true, rule: 'test' },
    },
    log: (level, message, fields) => {
      logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    },
    audit: {
      record: async (entry) => {
        audits.push(entry);
      },
    },
    sealer,
  };
  return { deps, roots, replies, locks, logs, audits };
}

const payload = (over: Partial<JobPayload> = {}): JobPayload => ({
  v: 1,
  command: 'deploy',
  input: { deployment: 'web', image: 'ghcr.io/acme/web:1.1', namespace: 'staging' },
  actor: { userId: 'U0ALICE', userName: 'alice', teamId: 'T0001', channelId: 'C0OPS' },
  root: { channel: 'C0OPS', ts: '1700000000.000100' },
  description: 'deploy web to ghcr.io/acme/web:1.1 in staging',
  cluster: 'prod',
  requestedAt: new Date().toISOString(),
  ...over,
});

const sealer = createSealer({ key: 'unit-test-seal-key-0123456789abcdef' });
/** The data as the gateway's queue stores it: sealed with the bot's key at `at`. */
const sealed = (data: unknown, at = Date.now(), id = 'j1'): unknown => ({
  ...(data as object),
  seal: { ...sealer.seal('job', sealedContent(id, at, data)), at },
});
const job = (data: unknown, attempt = 1): JobEnvelope => ({
  id: 'j1',
  data: sealed(data),
  attempt,
  maxAttempts: 3,
  signal: new AbortController().signal,
});

describe('runJob', () => {
  it('locks the deployment for a mutation, runs it, replies with the result and ends the root ✅', async () => {
    const h = harness();
    const outcome = await runJob(h.deps, job(payload()));
    expect(outcome.kind).toBe('done');
    expect(h.locks).toEqual(['staging/web', 'released staging/web']);
    expect(h.roots.map((r) => r.state)).toEqual(['running', 'succeeded']);
    expect(h.replies.join('\n')).toContain('web');
  });

  it('says what a resumed deploy changed when its own first run had set the image', async () => {
    const changeOf = (o: Awaited<ReturnType<typeof runJob>>): string | undefined =>
      o.kind === 'done' && o.result.kind === 'rollout' ? o.result.change : undefined;
    const withHistory = (cause: string): KubeApi =>
      fakeKube({
        setImage: async () => ({ container: 'web', previousImage: 'ghcr.io/acme/web:1.1', generation: 2 }),
        history: async () => [
          { revision: 2, changeCause: cause, images: ['ghcr.io/acme/web:1.1'], current: true },
          { revision: 1, images: ['ghcr.io/acme/web:1.0'], current: false },
        ],
      });
    const ours = withHistory('coxswain: @alice (U0ALICE) deploy web ghcr.io/acme/web:1.1');
    expect(changeOf(await runJob(harness(ours).deps, { ...job(payload()), resumed: true }))).toBe(
      'web: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1 (resumed: the worker that set it was lost)',
    );
    // Not resumed, or the revision is someone else's: the image was already there, and that is what is said.
    expect(changeOf(await runJob(harness(ours).deps, job(payload())))).toBe(
      'web: ghcr.io/acme/web:1.1 → ghcr.io/acme/web:1.1',
    );
    expect(
      changeOf(await runJob(harness(withHistory('kubectl set image')).deps, { ...job(payload()), resumed: true })),
    ).toBe('web: ghcr.io/acme/web:1.1 → ghcr.io/acme/web:1.1');
  });

  it('checks the policy again before acting, and refuses without locking when it no longer allows', async () => {
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw new Error('must not act');
        },
      }),
      new Set(['deploy']),
    );
    const outcome = await runJob(h.deps, job(payload()));
    expect(outcome.kind).toBe('failed');
    expect(h.locks).toEqual([]);
    expect(h.roots.at(-1)?.reason).toContain('You may not deploy. The policy changed after the request');
  });

  it('acts as the Kubernetes identity of the deciding binding, through kubeAs, and says so in the audit trail', async () => {
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw new Error('must act as alice-k8s, not as the bot');
        },
      }),
    );
    const asked: unknown[] = [];
    const deps: JobRunnerDeps = {
      ...h.deps,
      authorizer: {
        check: async () => ({
          allowed: true,
          rule: 'role deployer (bindings[0], rule 1)',
          kubernetes: { user: 'alice-k8s', groups: ['team-a'] },
        }),
      },
      kubeAs: (identity) => {
        asked.push(identity);
        return fakeKube();
      },
    };
    const outcome = await runJob(deps, job(payload()));
    expect(outcome.kind).toBe('done');
    expect(asked).toEqual([{ user: 'alice-k8s', groups: ['team-a'] }]);
    expect(h.audits.find((a) => a.kind === 'job.started')?.rule).toBe(
      'role deployer (bindings[0], rule 1); acting as Kubernetes user "alice-k8s" (groups team-a)',
    );
  });

  it('ends the approval request when its plan job fails for good, and retries one that may succeed later', async () => {
    const h = harness();
    const failed: string[] = [];
    const plan = payload({ approval: { id: 'k7m2pq', phase: 'plan', approvedBy: [] } });
    const gone: JobRunnerDeps = {
      ...h.deps,
      approvals: {
        ...h.deps.approvals,
        bindPlan: async () => {
          throw new AppError('not_found', 'deployment "web" in namespace "staging" was not found');
        },
        failPlan: async (id, reason) => {
          failed.push(`${id}: ${reason}`);
        },
      },
    };
    expect((await runJob(gone, job(plan))).kind).toBe('failed');
    expect(failed).toEqual(['k7m2pq: deployment "web" in namespace "staging" was not found']);
    const flaky: JobRunnerDeps = {
      ...gone,
      approvals: {
        ...gone.approvals,
        bindPlan: async () => {
          throw new AppError('unavailable', 'the API server is unreachable');
        },
      },
    };
    expect((await runJob(flaky, job(plan))).kind).toBe('retry');
    expect(failed).toHaveLength(1);
  });

  it('takes no lock for a read', async () => {
    const h = harness(fakeKube({ history: async () => [] }));
    await runJob(
      h.deps,
      job(payload({ command: 'rollout history', input: { deployment: 'web', namespace: 'staging' } })),
    );
    expect(h.locks).toEqual([]);
  });

  it('ends ❌ with the reason when the rollout fails, without calling it a job failure', async () => {
    const h = harness(
      fakeKube({
        followRollout: async () => ({
          outcome: 'failed',
          reason: 'CrashLoopBackOff: all 1 new pod(s) failing',
          progress,
          failingPods: [],
          events: [],
        }),
      }),
    );
    const outcome = await runJob(h.deps, job(payload()));
    expect(outcome.kind).toBe('done');
    expect(h.roots.at(-1)).toMatchObject({ state: 'failed', reason: 'CrashLoopBackOff: all 1 new pod(s) failing' });
  });

  it.each([
    ['a payload of another shape', { v: 2, command: 'deploy' }],
    [
      "words the command's schema refuses",
      payload({ input: { deployment: 'Web!', image: 'x', namespace: 'staging' } }),
    ],
    ['a gateway-only command', payload({ command: 'help', input: {} })],
    ["another cluster's job", payload({ cluster: 'staging' })],
  ])('refuses %s without acting or retrying', async (_what, data) => {
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw new Error('must not act');
        },
      }),
    );
    const outcome = await runJob(h.deps, job(data));
    expect(outcome.kind).toBe('failed');
    expect(h.locks).toEqual([]);
    // A job whose thread is known says so there, rather than staying "queued" forever.
    if ((data as { v?: number }).v === 1) expect(h.roots.at(-1)).toMatchObject({ state: 'failed' });
  });

  it('retries an unavailable API server while attempts remain, then gives up with the message', async () => {
    const down = new AppError(
      'unavailable',
      'the Kubernetes API server at https://127.0.0.1:6443 is unreachable (ECONNREFUSED)',
    );
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw down;
        },
      }),
    );
    expect((await runJob(h.deps, job(payload(), 1))).kind).toBe('retry');
    expect(h.roots.at(-1)).toMatchObject({ state: 'queued' });
    expect(h.roots.at(-1)?.detail).toContain('retrying (attempt 2 of 3)');
    // It will run again, so the jobs behind it in the deployment's line go on waiting for it.
    expect(h.locks.at(-1)).toBe('released staging/web (keeps its place)');
    const last = await runJob(h.deps, job(payload(), 3));
    expect(last.kind).toBe('failed');
    expect(h.roots.at(-1)).toMatchObject({ state: 'failed', reason: down.userMessage });
    expect(h.locks.at(-1)).toBe('released staging/web');
  });

  it("gives its slot back, saying and recording nothing, while a job ahead in the deployment's line is not running", async () => {
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw new Error('must not act out of turn');
        },
      }),
    );
    const deps: JobRunnerDeps = {
      ...h.deps,
      lock: async (target) => {
        throw new WaitInLine(target, 3);
      },
    };
    expect(await runJob(deps, job(payload()))).toEqual({ kind: 'later', delayMs: 1500 });
    expect(h.roots).toEqual([]);
    expect(h.replies).toEqual([]);
    expect(h.audits.map((a) => a.kind)).toEqual([]);
  });

  it('checks an approved plan only once the deployment is its own, so a change made ahead of it in line is seen', async () => {
    const h = harness();
    const order: string[] = [];
    const deps: JobRunnerDeps = {
      ...h.deps,
      lock: async (target) => {
        order.push(`lock ${target}`);
        return {
          release: async () => {
            order.push('release');
          },
        };
      },
      approvals: {
        ...h.deps.approvals,
        verify: async (_payload, _request, jobId) => {
          order.push(`verify ${jobId}`);
          throw new AppError('conflict', 'the deployment changed since it was approved', { retryable: false });
        },
      },
    };
    expect((await runJob(deps, job(payload()))).kind).toBe('failed');
    // With the job's id: a change this job made in an earlier run is not taken for a change since the approval.
    expect(order).toEqual(['lock staging/web', 'verify j1', 'release']);
  });

  it('does not retry what cannot succeed (404, 403, 422, bad input)', async () => {
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw new AppError('not_found', 'deployment staging/wbe not found; did you mean web?');
        },
      }),
    );
    const outcome = await runJob(h.deps, job(payload(), 1));
    expect(outcome.kind).toBe('failed');
    expect(h.replies.join('\n')).toContain('did you mean web?');
  });

  it('shows an unexpected error as an internal error with a reference, and logs the details', async () => {
    const h = harness(
      fakeKube({
        setImage: async () => {
          throw new TypeError('cannot read properties of undefined');
        },
      }),
    );
    const outcome = await runJob(h.deps, job(payload()));
    expect(outcome.kind).toBe('failed');
    const reason = h.roots.at(-1)?.reason ?? '';
    expect(reason).toMatch(/^Something went wrong on our side \(internal error, ref j1\/[0-9a-f]{8}\)\.$/u);
    expect(h.logs.join('\n')).toContain(/ref (j1\/[0-9a-f]{8})/u.exec(reason)?.[1] ?? 'no ref');
    expect(h.logs.every((line) => line.includes('"jobId":"j1"'))).toBe(true);
    expect(h.replies.join('\n')).not.toContain('cannot read properties');
  });

  describe('the audit trail', () => {
    const kinds = (h: Harness): string[] => h.audits.map((a) => `${a.kind}${a.outcome ? ` ${a.outcome}` : ''}`);

    it('records the start with the deciding rule and the end with outcome and duration', async () => {
      const h = harness();
      await runJob(h.deps, job(payload()));
      expect(kinds(h)).toEqual(['job.started', 'job.finished succeeded']);
      expect(h.audits[0]).toMatchObject({
        user: 'U0ALICE',
        channel: 'C0OPS',
        command: 'deploy',
        verb: 'deploy',
        namespace: 'staging',
        deployment: 'web',
        jobId: 'j1',
        decision: 'allowed',
        rule: 'test',
      });
      expect(h.audits[1]?.durationMs).toEqual(expect.any(Number));
    });

    it('records a refusal on the re-check with the reason, then the failed end', async () => {
      const h = harness(fakeKube(), new Set(['deploy']));
      await runJob(h.deps, job(payload()));
      expect(kinds(h)).toEqual(['job.refused', 'job.finished failed']);
      expect(h.audits[0]).toMatchObject({ decision: 'denied', reason: 'You may not deploy.' });
    });

    it('records a retry, and a malformed job', async () => {
      const h = harness(
        fakeKube({
          setImage: async () => {
            throw new AppError('unavailable', 'API server unreachable');
          },
        }),
      );
      await runJob(h.deps, job(payload()));
      expect(kinds(h)).toEqual(['job.started', 'job.retrying retrying']);
      await runJob(h.deps, job({ nonsense: true }));
      expect(h.audits.at(-1)).toMatchObject({ kind: 'job.refused', jobId: 'j1', decision: 'refused' });
    });

    it('records a job for another cluster as refused', async () => {
      const h = harness();
      await runJob(h.deps, job(payload({ cluster: 'elsewhere' })));
      expect(kinds(h)).toEqual(['job.refused', 'job.finished failed']);
      expect(h.audits[0]?.reason).toContain('cluster elsewhere');
    });
  });
});

describe('runJob and the seal', () => {
  const envelope = (data: unknown): JobEnvelope => ({
    id: 'j1',
    data,
    attempt: 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
  });
  const mustNotAct = fakeKube({
    setImage: async () => {
      throw new Error('must not act');
    },
  });

  it.each([
    ['no seal at all', (): unknown => payload(), 'it carries no seal'],
    [
      'a seal made with another key',
      (): unknown => {
        const other = createSealer({ key: 'another-key-of-at-least-32-characters!!' });
        const at = Date.now();
        return { ...payload(), seal: { ...other.seal('job', sealedContent('j1', at, payload())), at } };
      },
      'its seal does not match',
    ],
    [
      'the actor changed after sealing',
      (): unknown => ({
        ...(sealed(payload()) as object),
        actor: { userId: 'U0MALLORY', userName: 'm', teamId: 'T0001', channelId: 'C0OPS' },
      }),
      'its seal does not match',
    ],
    [
      'a payload sealed for another job id',
      (): unknown => sealed(payload(), Date.now(), 'j0'),
      'its seal does not match',
    ],
    [
      'the time of sealing moved',
      (): unknown => {
        const data = sealed(payload()) as { seal: { at: number } };
        return { ...data, seal: { ...data.seal, at: data.seal.at + 1 } };
      },
      'its seal does not match',
    ],
    [
      'a job sealed more than a day ago',
      (): unknown => sealed(payload(), Date.now() - maxJobAgeMs - 60_000),
      'queued more than 24 h ago',
    ],
  ])('refuses %s: nothing is run, nothing said in Slack, the refusal is recorded', async (_what, data, reason) => {
    const h = harness(mustNotAct);
    const outcome = await runJob(h.deps, envelope(data()));
    expect(outcome.kind).toBe('failed');
    expect([h.roots, h.replies, h.locks]).toEqual([[], [], []]);
    expect(h.audits).toEqual([
      expect.objectContaining({
        kind: 'job.refused',
        jobId: 'j1',
        decision: 'refused',
        reason: expect.stringContaining(reason),
      }),
    ]);
    expect(h.audits[0]?.detail).toMatchObject({ claimedCommand: 'deploy' });
  });

  it('accepts the previous key until its grace ends, then refuses it', async () => {
    const old = createSealer({ key: 'the-previous-key-of-at-least-32-chars' });
    let now = Date.now();
    const data = { ...payload(), seal: { ...old.seal('job', sealedContent('j1', now, payload())), at: now } };
    const rotating = createSealer({
      key: 'unit-test-seal-key-0123456789abcdef',
      previous: { key: 'the-previous-key-of-at-least-32-chars', untilMs: now + 1000 },
      now: () => now,
    });
    expect((await runJob({ ...harness().deps, sealer: rotating }, envelope(data))).kind).toBe('done');
    now += 2000;
    const h = harness(mustNotAct);
    expect((await runJob({ ...h.deps, sealer: rotating }, envelope(data))).kind).toBe('failed');
    expect(h.audits[0]?.reason).toContain('sealed with the previous key, whose grace period has ended');
  });
});
