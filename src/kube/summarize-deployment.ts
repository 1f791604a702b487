// Deployment → the neutral shapes commands and views use.
import type * as k8s from '@kubernetes/client-node';
import { requestAnnotation } from './json-patch.ts';
import type { RolloutProgress } from '../results.ts';
import type { DeploymentSummary } from './kube-api.ts';
import { isObserved } from './rollout-rules.ts';

/** The annotation the deployment controller keeps the current revision in. */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';

/** A revision annotation as a number; undefined when absent or malformed. */
export function parseRevision(annotations: Readonly<Record<string, string>> | undefined): number | undefined {
  const raw = annotations?.[revisionAnnotation];
  if (raw === undefined) return undefined;
  const revision = Number.parseInt(raw, 10);
  return Number.isFinite(revision) ? revision : undefined;
}

/** Replica counts of a Deployment; `observed` once the controller saw its latest spec. */
export function progressOf(deployment: k8s.V1Deployment): RolloutProgress {
  const status = deployment.status ?? {};
  return {
    desired: deployment.spec?.replicas ?? 1,
    updated: count(status.updatedReplicas),
    ready: count(status.readyReplicas),
    available: count(status.availableReplicas),
    observed: isObserved(deployment),
  };
}

function count(value: number | undefined): number {
  return value ?? 0;
}

/** kubectl's AGE column: the largest whole unit, e.g. "45s", "12m", "3h", "5d". */
export function formatAge(since: Date, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** What commands need to know about one Deployment. */
export function summarizeDeployment(deployment: k8s.V1Deployment): DeploymentSummary {
  const metadata = deployment.metadata ?? {};
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const created = metadata.creationTimestamp;
  return {
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    generation: count(metadata.generation),
    containers: containers.map((c) => ({ name: c.name, image: c.image ?? '' })),
    progress: progressOf(deployment),
    ...marksOf(metadata.annotations),
    ...(created === undefined ? {} : { age: formatAge(new Date(created)) }),
  };
}

/** The revision and the last Coxswain job, from the Deployment's annotations (each only when present). */
function marksOf(
  annotations: Readonly<Record<string, string>> | undefined,
): Pick<DeploymentSummary, 'revision' | 'lastRequest'> {
  const revision = parseRevision(annotations);
  const lastRequest = annotations?.[requestAnnotation];
  return { ...(revision === undefined ? {} : { revision }), ...(lastRequest === undefined ? {} : { lastRequest }) };
}
