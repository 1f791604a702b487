// Kubernetes helpers that need no test runner: shared by tests, the playground and benchmarks.
import * as k8s from '@kubernetes/client-node';
import { writeGrant } from '../../src/policy/write-grants.ts';

/** A KubeConfig loaded from a kubeconfig file. */
export function loadKubeConfig(file: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** Options of makeDeployment. */
export interface DeploymentOptions {
  readonly replicas?: number;
  readonly container?: string;
  /** Pod template annotations, e.g. the kwok ready delay. */
  readonly podAnnotations?: Record<string, string>;
}

/** A minimal Deployment whose pods the kwok node will run. */
export function makeDeployment(name: string, image: string, options: DeploymentOptions = {}): k8s.V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: options.podAnnotations ?? {} },
        spec: { containers: [{ name: options.container ?? name, image }] },
      },
    },
  };
}

/** The bot's ServiceAccount in the test cluster, as deploy/base creates it. */
export const botServiceAccount = { namespace: 'coxswain', name: 'coxswain' } as const;

/**
 * Gives the bot write rights in `namespace`, exactly as `coxswain rbac` would (its RoleBinding of coxswain-write):
 * deploy/base grants reading everywhere and changing nowhere.
 */
export async function grantBotWrites(admin: k8s.KubeConfig, namespace: string): Promise<void> {
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac
    .createNamespacedRoleBinding({
      namespace,
      body: writeGrant(namespace, botServiceAccount) as unknown as k8s.V1RoleBinding,
    })
    .catch((error: unknown) => {
      if ((error as { code?: number } | null)?.code !== 409) throw error;
    });
}
