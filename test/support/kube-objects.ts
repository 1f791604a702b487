// Kubernetes helpers that need no test runner: shared by tests, the playground and benchmarks.
import * as k8s from '@kubernetes/client-node';

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
