// The start-up self-check: Slack accepts the token, the bot is in every channel
// the policy names, and the bot's Kubernetes identity can do in each namespace
// what the policy lets people ask of it. Problems are logged as errors with what
// to do; nothing here stops the bot (a fix may come while it runs).
import type { WebClient } from '@slack/web-api';
import { missingPermissions, type ApiPermission } from '../kube/access-review.ts';
import type { KubeConnection } from '../kube/kube-connection.ts';
import type { Log } from '../log/create-logger.ts';
import type { Policy, Verb } from '../policy/policy-schema.ts';
import { checkAlertChannels } from '../slack/alert-slack.ts';
import { slackErrorCode } from '../errors.ts';

/** The API permissions each policy verb needs of the bot (the worker acts as the bot unless a binding impersonates). */
const needs: Readonly<Partial<Record<Verb, readonly ApiPermission[]>>> = {
  get: [
    { verb: 'list', group: '', resource: 'pods' },
    { verb: 'list', group: 'apps', resource: 'deployments' },
  ],
  logs: [{ verb: 'get', group: '', resource: 'pods/log' }],
  status: [
    { verb: 'watch', group: 'apps', resource: 'deployments' },
    { verb: 'list', group: '', resource: 'events' },
  ],
  history: [{ verb: 'list', group: 'apps', resource: 'replicasets' }],
  deploy: [{ verb: 'patch', group: 'apps', resource: 'deployments' }],
  scale: [{ verb: 'patch', group: 'apps', resource: 'deployments/scale' }],
  restart: [{ verb: 'patch', group: 'apps', resource: 'deployments' }],
  undo: [
    { verb: 'patch', group: 'apps', resource: 'deployments' },
    { verb: 'list', group: 'apps', resource: 'replicasets' },
  ],
};

/** Namespaces the policy names literally, with the verbs granted there (globs cannot be listed; they are skipped). */
export function namespacesToCheck(policy: Policy): Map<string, Set<Verb>> {
  const out = new Map<string, Set<Verb>>();
  for (const rules of Object.values(policy.roles)) {
    for (const rule of rules) {
      const verbs = rule.verbs.includes('*') ? (Object.keys(needs) as Verb[]) : (rule.verbs as Verb[]);
      for (const ns of rule.namespaces.filter((n) => !n.includes('*')))
        out.set(ns, new Set([...(out.get(ns) ?? []), ...verbs]));
    }
  }
  return out;
}

function policyChannels(policy: Policy): string[] {
  return [
    ...new Set([...policy.bindings.flatMap((b) => b.channels ?? []), ...policy.alerts.routes.map((r) => r.channel)]),
  ];
}

async function checkKubernetes(connection: KubeConnection, policy: Policy, log: Log): Promise<number> {
  let problems = 0;
  for (const [namespace, verbs] of namespacesToCheck(policy)) {
    const wanted = [...verbs].flatMap((v) => needs[v] ?? []);
    const missing = await missingPermissions(connection, namespace, wanted).catch((error: unknown) => {
      log('warn', "self-check: could not review the bot's Kubernetes permissions", {
        namespace,
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    });
    if (missing.length === 0) continue;
    problems += 1;
    log('error', "self-check: the policy allows what the bot's Kubernetes identity may not do", {
      namespace,
      missing: missing.map((p) => `${p.verb} ${p.resource}${p.group ? `.${p.group}` : ''}`).join(', '),
      hint: 'apply the write grants `coxswain rbac` generates from the policy (docs/security.md#kubernetes-rbac), or narrow the policy',
    });
  }
  return problems;
}

/** Runs every check; resolves to the number of problems found (also logged). */
export async function selfCheck(deps: {
  readonly client: WebClient;
  readonly connection: KubeConnection;
  readonly policy: Policy;
  readonly log: Log;
}): Promise<number> {
  const auth = await deps.client.auth.test().then(
    () => 0,
    (error: unknown) => {
      deps.log('error', 'self-check: Slack does not accept the bot token', {
        slackError: slackErrorCode(error) ?? String(error),
        hint: 'check SLACK_BOT_TOKEN (xoxb-…) and that the app is installed',
      });
      return 1;
    },
  );
  const channels = (await checkAlertChannels(deps.client, policyChannels(deps.policy), deps.log)).length;
  const kube = await checkKubernetes(deps.connection, deps.policy, deps.log);
  const problems = auth + channels + kube;
  deps.log(
    problems === 0 ? 'info' : 'warn',
    problems === 0 ? 'self-check passed' : `self-check found ${problems} problem(s); see the errors above`,
  );
  return problems;
}
