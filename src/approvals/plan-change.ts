// Binding an approval to the world it was asked in: what the target looks like
// now, and what the command will change. An approved job compares the target
// with this plan first, and stops if it changed meanwhile.
import type { DeploymentSummary } from '../kube/kube-api.ts';
import type { ApprovalPlan } from './approval-request.ts';

/** The bound state of a Deployment and the words for what will change. */
export function planChange(
  current: DeploymentSummary,
  command: string,
  input: Readonly<Record<string, string | boolean>>,
): ApprovalPlan {
  const images = current.containers.map((c) => c.image);
  const state = { generation: current.generation, images, replicas: current.progress.desired };
  return { ...state, change: describeChange(current, command, input) };
}

type Input = Readonly<Record<string, string | boolean>>;

function deployChange(current: DeploymentSummary, input: Input): string {
  const wanted = typeof input['container'] === 'string' ? input['container'] : current.containers[0]?.name;
  const container = current.containers.find((c) => c.name === wanted) ?? current.containers[0];
  return `${container?.name ?? current.name}: ${container?.image ?? '?'} → ${String(input['image'])}`;
}

function undoChange(current: DeploymentSummary, input: Input): string {
  const to = typeof input['to-revision'] === 'string' ? `revision ${input['to-revision']}` : 'the previous revision';
  return `${current.name}: back from revision ${current.revision ?? '?'} to ${to}`;
}

const changes: Readonly<Record<string, (current: DeploymentSummary, input: Input) => string>> = {
  deploy: deployChange,
  scale: (current, input) => `${current.name} replicas: ${current.progress.desired} → ${String(input['replicas'])}`,
  'rollout undo': undoChange,
  'rollout restart': (current) => `${current.name}: restart all ${current.progress.desired} pod(s)`,
};

function describeChange(current: DeploymentSummary, command: string, input: Input): string {
  return changes[command]?.(current, input) ?? `${command} ${current.name}`;
}

/**
 * What changed between the plan and the Deployment now, or undefined when it still holds. A Deployment whose
 * last change was made by `ownJob` (this approved job's own earlier run: a retry, or resumed after a lost
 * worker) holds: that change is the one approved.
 */
export function planDrift(plan: ApprovalPlan, now: DeploymentSummary, ownJob?: string): string | undefined {
  if (ownJob !== undefined && now.lastRequest === ownJob) return undefined;
  const changes: string[] = [];
  const images = now.containers.map((c) => c.image);
  if (images.join(',') !== plan.images.join(','))
    changes.push(`images ${plan.images.join(', ')} → ${images.join(', ')}`);
  if (now.progress.desired !== plan.replicas) changes.push(`replicas ${plan.replicas} → ${now.progress.desired}`);
  if (now.generation !== plan.generation && changes.length === 0)
    changes.push(`generation ${plan.generation} → ${now.generation} (its spec was edited)`);
  return changes.length > 0
    ? `${now.namespace}/${now.name} changed since the request was approved: ${changes.join('; ')}. Nothing was done; ask again.`
    : undefined;
}
