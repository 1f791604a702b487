// kubectl logs with hard bounds: the API server cuts lines and bytes, so a
// chatty pod never fills the worker's memory or a Slack message.
import { AppError } from '../errors.ts';
import { didYouMean } from '../text/did-you-mean.ts';
import { callKube } from './call-kube.ts';
import { listPods } from './list-workloads.ts';
import type { ReadLogsOptions } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { pickContainer } from './pick-container.ts';
import type * as k8s from '@kubernetes/client-node';

/** The log lines of one container and whether bounds cut them. */
export interface PodLogs {
  readonly container: string;
  readonly lines: readonly string[];
  readonly truncated: boolean;
}

async function podNotFound(clients: KubeClients, namespace: string, pod: string, cause: unknown): Promise<AppError> {
  const list = await listPods(clients, namespace).catch(() => []);
  const guess = didYouMean(
    pod,
    list.map((p) => p.name),
  );
  const hint = guess === undefined ? '' : ` — did you mean "${guess}"?`;
  return new AppError('not_found', `pod "${pod}" in namespace "${namespace}" was not found${hint}`, { cause });
}

async function readPod(clients: KubeClients, namespace: string, pod: string): Promise<k8s.V1Pod> {
  try {
    return await callKube(clients, `pod "${pod}" in namespace "${namespace}"`, () =>
      clients.core.readNamespacedPod({ name: pod, namespace }),
    );
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found')
      throw await podNotFound(clients, namespace, pod, error.cause);
    throw error;
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * The last `tailLines` lines of a container, at most `limitBytes` bytes.
 * `truncated` when the byte cap was (likely) reached or there were more lines than the tail
 * (one extra line is asked for, so an API-side cut is visible).
 */
export async function readLogs(
  clients: KubeClients,
  namespace: string,
  pod: string,
  options: ReadLogsOptions,
): Promise<PodLogs> {
  if (!Number.isInteger(options.tailLines) || options.tailLines < 1)
    throw new AppError('bad_input', `--tail must be a whole number ≥ 1, not ${options.tailLines}`);
  const found = await readPod(clients, namespace, pod);
  const names = (found.spec?.containers ?? []).map((c) => c.name);
  const container = pickContainer(names, options.container, `pod "${pod}"`);
  const read = async (tailLines: number): Promise<{ lines: string[]; byteCapped: boolean }> => {
    const text = String(
      await callKube(clients, `logs of pod "${pod}" container "${container}" in namespace "${namespace}"`, () =>
        clients.core.readNamespacedPodLog({
          name: pod,
          namespace,
          container,
          previous: options.previous,
          tailLines,
          limitBytes: options.limitBytes,
        }),
      ),
    );
    return { lines: splitLines(text), byteCapped: Buffer.byteLength(text) >= options.limitBytes };
  };
  let tail = options.tailLines + 1;
  let got = await read(tail);
  // The API keeps the first limitBytes of the tail, so a cap cuts off the newest lines, the ones asked for. Ask again
  // for only as many lines as arrived whole (at least the last one), a few times at most.
  for (let attempt = 0; got.byteCapped && tail > 1 && attempt < 3; attempt += 1) {
    tail = Math.max(1, Math.min(tail - 1, got.lines.length - 1));
    got = await read(tail);
  }
  const cut = tail <= options.tailLines;
  return {
    container,
    lines: got.lines.slice(-options.tailLines),
    truncated: got.byteCapped || cut || got.lines.length > options.tailLines,
  };
}
