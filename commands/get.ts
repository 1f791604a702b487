import { z } from 'zod';
import { labelSelector, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import type { TableResult } from '../src/results.ts';

/** Most rows a `get` shows; the rest are counted, not listed. */
export const maxRows = 50;

const resources: Readonly<Record<string, 'pods' | 'deployments'>> = {
  po: 'pods',
  pod: 'pods',
  pods: 'pods',
  deploy: 'deployments',
  deployment: 'deployments',
  deployments: 'deployments',
};

function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

function bound(title: string, columns: string[], rows: string[][]): TableResult {
  return { kind: 'table', title, columns, rows: rows.slice(0, maxRows), omitted: Math.max(0, rows.length - maxRows) };
}

/** /k8s get pods|deployments: a compact table, like kubectl get. */
export const get = defineCommand({
  name: 'get',
  summary: 'List pods or deployments',
  usage: 'get pods|deployments [-n namespace] [-l selector]',
  examples: ['get pods -n prod', 'get deployments -n staging -l team=payments'],
  positionals: ['resource'],
  flags: {
    namespace: namespaceFlag,
    selector: { short: 'l', kind: 'value', description: 'label selector, e.g. app=web' },
  },
  schema: () =>
    z
      .object({
        resource: z
          .string()
          .transform((r) => r.toLowerCase())
          .pipe(
            z.enum(Object.keys(resources) as [string, ...string[]], {
              error: 'get lists `pods` or `deployments`',
            }),
          )
          .transform((r) => resources[r] ?? 'pods'),
        namespace: namespaceName,
        selector: labelSelector.optional(),
      })
      .strict(),
  verb: 'get',
  runsIn: 'worker',
  mutates: false,
  target: (a) => ({ namespace: a.namespace }),
  describe: (a) => `get ${a.resource} in ${a.namespace}${a.selector ? ` (-l ${a.selector})` : ''}`,
  run: async (a, ctx) => {
    const now = Date.now();
    const title = `${a.resource} in ${a.namespace}${a.selector ? ` matching ${a.selector}` : ''}`;
    if (a.resource === 'pods') {
      const pods = await ctx.kube.listPods(a.namespace, a.selector);
      return bound(
        title,
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
        pods.map((p) => [p.name, p.ready, p.status, String(p.restarts), age(p.createdAt, now)]),
      );
    }
    const deployments = await ctx.kube.listDeployments(a.namespace, a.selector);
    return bound(
      title,
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'IMAGES'],
      deployments.map((d) => [
        d.name,
        `${d.progress.ready}/${d.progress.desired}`,
        String(d.progress.updated),
        String(d.progress.available),
        d.containers.map((c) => c.image).join(','),
      ]),
    );
  },
});
