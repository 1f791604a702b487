// One wording for naming a Deployment in messages.
import type { DeploymentRef } from './kube-api.ts';

/** e.g. 'deployment "web" in namespace "staging"'. */
export function describeDeployment(ref: DeploymentRef): string {
  return `deployment "${ref.name}" in namespace "${ref.namespace}"`;
}
