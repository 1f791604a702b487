// Reads a Deployment; a missing one becomes a not_found that suggests the
// deployment the user probably meant, since typos are the usual cause.
import type * as k8s from '@kubernetes/client-node';
import { AppError } from '../errors.ts';
import { didYouMean } from '../text/did-you-mean.ts';
import { callKube } from './call-kube.ts';
import { describeDeployment } from './deployment-ref-text.ts';
import type { DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';

async function suggestion(clients: KubeClients, ref: DeploymentRef): Promise<string> {
  try {
    const list = await clients.apps.listNamespacedDeployment({ namespace: ref.namespace });
    const names = list.items.map((d) => d.metadata?.name ?? '').filter((n) => n !== '');
    const guess = didYouMean(ref.name, names);
    return guess === undefined ? '' : ` — did you mean "${guess}"?`;
  } catch {
    // The suggestion is a courtesy; the not-found answer stands without it.
    return '';
  }
}

/** The not_found error for a Deployment, with a did-you-mean when one is close. */
export async function deploymentNotFound(clients: KubeClients, ref: DeploymentRef, cause?: unknown): Promise<AppError> {
  const hint = await suggestion(clients, ref);
  return new AppError('not_found', `${describeDeployment(ref)} was not found${hint}`, { cause });
}

/** Reads the Deployment, or throws not_found with a did-you-mean, or another AppError. */
export async function readDeployment(clients: KubeClients, ref: DeploymentRef): Promise<k8s.V1Deployment> {
  try {
    return await callKube(clients, describeDeployment(ref), () => clients.apps.readNamespacedDeployment(ref));
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found')
      throw await deploymentNotFound(clients, ref, error.cause);
    throw error;
  }
}
