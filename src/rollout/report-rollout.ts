// The shared tail of every command that changes a Deployment: follow the rollout
// by watch, show progress, and turn the report into a RolloutResult.
import type { DeploymentRef } from '../kube/kube-api.ts';
import type { WorkerContext } from '../registry/command-spec.ts';
import type { RolloutAction, RolloutProgress, RolloutResult } from '../results.ts';

/**
 * "2/3 updated · 1/3 available" — what the thread root shows while a rollout
 * moves. Until the controller has observed the change the counts describe the
 * old spec, so they are not shown.
 */
export function formatProgress(p: RolloutProgress): string {
  if (!p.observed) return 'starting';
  return `${p.updated}/${p.desired} updated · ${p.available}/${p.desired} available`;
}

/** Options of reportRollout. */
export interface ReportRolloutOptions {
  readonly action: RolloutAction;
  /** One line on what changed, shown with the result. */
  readonly change?: string;
  /** When the job started acting, for the duration. */
  readonly startedAt: number;
}

/** Follows the rollout of `ref` to its end and describes it. */
export async function reportRollout(
  ctx: WorkerContext,
  ref: DeploymentRef,
  options: ReportRolloutOptions,
): Promise<RolloutResult> {
  const report = await ctx.kube.followRollout(ref, {
    timeoutMs: ctx.rolloutTimeoutMs,
    onProgress: (p) => ctx.progress(formatProgress(p)),
    signal: ctx.signal,
  });
  return {
    kind: 'rollout',
    action: options.action,
    namespace: ref.namespace,
    deployment: ref.name,
    outcome: report.outcome,
    progress: report.progress,
    durationMs: Date.now() - options.startedAt,
    ...(options.change ? { change: options.change } : {}),
    ...(report.reason ? { reason: report.reason } : {}),
    failingPods: report.failingPods,
    events: report.events,
  };
}

/** kubernetes.io/change-cause: who asked from Slack, and what. */
export function changeCause(ctx: WorkerContext, what: string): string {
  return `coxswain: @${ctx.actor.userName} (${ctx.actor.userId}) ${what}`;
}

/**
 * What a write records: who asked (`changeCause`) and, so a run of the same job again can tell its own change, the job.
 */
export function askedFor(
  ctx: WorkerContext,
  what: string,
): { readonly changeCause: string; readonly request?: string } {
  return { changeCause: changeCause(ctx, what), ...(ctx.requestId ? { request: ctx.requestId } : {}) };
}
