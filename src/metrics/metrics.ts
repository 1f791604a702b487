// Prometheus metrics of one process, served on /metrics. Most are derived from
// the audit trail (every request, job and vote passes through it once), so they
// cannot drift from what the trail says; the rest are counted where the event is
// (alerts, Slack and Kubernetes API errors).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEntry } from '../audit/audit-record.ts';

/** The process's registry: Node's own metrics plus Coxswain's. */
export const registry = new Registry();
// The event loop's delay is sampled every 100 ms, not prom-client's 10 ms: 100 wake-ups a second were most of an idle
// process's CPU (bench:lean), and lag that matters lasts longer than that.
collectDefaultMetrics({ register: registry, prefix: 'coxswain_', eventLoopMonitoringPrecision: 100 });

const commands = new Counter({
  name: 'coxswain_commands_total',
  registers: [registry],
  help: 'Commands by verb and outcome: queued, answered, denied, invalid, repeated, duplicate, failed at the gateway; succeeded, failed, refused in the worker',
  labelNames: ['verb', 'outcome'] as const,
});
const jobDuration = new Histogram({
  name: 'coxswain_job_duration_seconds',
  registers: [registry],
  help: 'Job run time, from the worker taking it to its result',
  labelNames: ['command', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
});
const approvals = new Counter({
  name: 'coxswain_approvals_total',
  registers: [registry],
  help: 'Approval requests opened, votes (counted or refused) and expiries',
  labelNames: ['event', 'decision'] as const,
});
const alerts = new Counter({
  name: 'coxswain_alerts_total',
  registers: [registry],
  help: 'Alert changes recorded by the watcher: opened, updated, recovered',
  labelNames: ['reason', 'change'] as const,
});
const slackErrors = new Counter({
  name: 'coxswain_slack_api_errors_total',
  registers: [registry],
  help: 'Slack Web API calls that failed, by method and Slack error',
  labelNames: ['method', 'error'] as const,
});
const slackRateLimited = new Counter({
  name: 'coxswain_slack_rate_limited_total',
  registers: [registry],
  help: 'Slack Web API answers 429 (the client waited Retry-After)',
  labelNames: ['method'] as const,
});
const kubeErrors = new Counter({
  name: 'coxswain_kube_api_errors_total',
  registers: [registry],
  help: 'Kubernetes API failures by error code (forbidden, not_found, unavailable…)',
  labelNames: ['code'] as const,
});
const watcherLeader = new Gauge({
  name: 'coxswain_watcher_leader',
  registers: [registry],
  help: "1 while this process leads its cluster's watcher election (watches pods, raises alerts), 0 while it stands by",
  labelNames: ['cluster'] as const,
});
const alertDeliveries = new Counter({
  name: 'coxswain_alert_deliveries_total',
  registers: [registry],
  help: 'Alert messages sent to Slack, by action (post, edit, recovery) and outcome (delivered; failed: retried; gave_up: the channel refuses the bot)',
  labelNames: ['action', 'outcome'] as const,
});
const alertDeliverySeconds = new Histogram({
  name: 'coxswain_alert_delivery_seconds',
  registers: [registry],
  help: "From the watcher's first sight of a failure to its alert posted in Slack",
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
});
const auditChainIntact = new Gauge({
  name: 'coxswain_audit_chain_intact',
  registers: [registry],
  help: 'The last verification of the audit chain by this process: 1 intact, 0 broken (`coxswain audit verify` says where)',
  labelNames: ['cluster'] as const,
});
const auditChainVerifiedAt = new Gauge({
  name: 'coxswain_audit_chain_verified_timestamp_seconds',
  registers: [registry],
  help: 'When this process last finished verifying the audit chain (Unix time), whatever the verdict',
  labelNames: ['cluster'] as const,
});
const depthSources = new Set<() => Promise<Record<string, Record<string, number>>>>();
new Gauge({
  name: 'coxswain_queue_jobs',
  registers: [registry],
  help: "Jobs in the cluster's queues by queue and state (sampled on scrape)",
  labelNames: ['queue', 'state'] as const,
  async collect() {
    this.reset();
    for (const source of depthSources) {
      const byQueue = await source().catch(() => ({}));
      for (const [queue, states] of Object.entries(byQueue))
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
    }
  },
});

function outcomeOf(entry: AuditEntry): string | undefined {
  if (entry.kind.startsWith('request.')) return entry.kind.slice('request.'.length);
  if (entry.kind === 'job.finished') return entry.outcome ?? 'failed';
  if (entry.kind === 'job.refused') return 'refused';
  return undefined;
}

/** Counts what an audit record says. */
export function observeAudit(entry: AuditEntry): void {
  const outcome = outcomeOf(entry);
  if (outcome) commands.inc({ verb: entry.verb ?? 'none', outcome });
  if (entry.kind === 'job.finished' && entry.durationMs !== undefined) {
    jobDuration.observe(
      { command: entry.command ?? 'unknown', outcome: entry.outcome ?? 'failed' },
      entry.durationMs / 1000,
    );
  }
  if (entry.kind.startsWith('approval.'))
    approvals.inc({ event: entry.kind.slice('approval.'.length), decision: entry.decision ?? 'none' });
}

/** Counting hooks for what the audit trail does not see. */
export const countAlert = (reason: string, change: string): void => {
  alerts.inc({ reason, change });
};
export const countSlackError = (method: string, error: string): void => {
  slackErrors.inc({ method, error });
};
export const countSlackRateLimit = (method: string): void => {
  slackRateLimited.inc({ method });
};
export const countKubeError = (code: string): void => {
  kubeErrors.inc({ code });
};

export const setWatcherLeader = (cluster: string, leads: boolean): void => {
  watcherLeader.set({ cluster }, leads ? 1 : 0);
};
/** One alert message sent, or not; `sinceFirstSeenMs` times a first post. */
export const countAlertDelivery = (
  action: 'post' | 'edit' | 'recovery',
  outcome: 'delivered' | 'failed' | 'gave_up',
  sinceFirstSeenMs?: number,
): void => {
  alertDeliveries.inc({ action, outcome });
  if (sinceFirstSeenMs !== undefined) alertDeliverySeconds.observe(Math.max(0, sinceFirstSeenMs) / 1000);
};
/** The verdict of a verification of the audit chain. */
export const setAuditChainVerdict = (cluster: string, intact: boolean, at: number): void => {
  auditChainIntact.set({ cluster }, intact ? 1 : 0);
  auditChainVerifiedAt.set({ cluster }, Math.floor(at / 1000));
};

/** Adds a source of queue depths, sampled on each scrape; returns its removal. */
export function watchQueueDepth(source: () => Promise<Record<string, Record<string, number>>>): () => void {
  depthSources.add(source);
  return () => {
    depthSources.delete(source);
  };
}
