import { z } from 'zod';
import { boundedCount, containerName, namespaceFlag, namespaceName, podName } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';

/** Lines shown when --tail is not given, and the most that may be asked for. */
export const defaultTail = 50;
export const maxTail = 500;
/** Bytes read from the API at most, whatever --tail says (a single line can be huge). */
export const maxLogBytes = 256 * 1024;

/** /k8s logs: the last lines of a pod's container. */
export const logs = defineCommand({
  name: 'logs',
  summary: "Show the last lines of a pod's log",
  usage: `logs <pod> [-n namespace] [-c container] [--tail N] [--previous]`,
  examples: ['logs checkout-7d9f8-x2x9z -n prod', 'logs api-5c4-abcde -n prod -c server --tail 100 --previous'],
  positionals: ['pod'],
  flags: {
    namespace: namespaceFlag,
    container: { short: 'c', kind: 'value', description: 'container (required when there are several)' },
    tail: { kind: 'value', description: `lines to show (default ${defaultTail}, at most ${maxTail})` },
    previous: { short: 'p', kind: 'boolean', description: 'the previous, crashed instance of the container' },
  },
  schema: () =>
    z
      .object({
        pod: podName,
        namespace: namespaceName,
        container: containerName.optional(),
        tail: boundedCount('--tail', 1, maxTail).default(defaultTail),
        previous: z.boolean().default(false),
      })
      .strict(),
  verb: 'logs',
  runsIn: 'worker',
  mutates: false,
  target: (a) => ({ namespace: a.namespace }),
  describe: (a) =>
    `logs of ${a.pod}${a.container ? `/${a.container}` : ''}${a.previous ? ' (previous)' : ''} in ${a.namespace}`,
  run: async (a, ctx) => {
    const read = await ctx.kube.readLogs(a.namespace, a.pod, {
      ...(a.container ? { container: a.container } : {}),
      tailLines: a.tail,
      previous: a.previous,
      limitBytes: maxLogBytes,
    });
    return { kind: 'logs', namespace: a.namespace, pod: a.pod, previous: a.previous, ...read };
  },
});
