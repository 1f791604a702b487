import { z } from 'zod';
import { deploymentName, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { policyVerbs } from '../src/policy/policy-schema.ts';
import { defineCommand } from '../src/registry/command-spec.ts';

/** /k8s can-i: would the policy let me do this, and which rule decides. */
export const canI = defineCommand({
  name: 'can-i',
  summary: 'Ask whether you may do something, and which rule decides',
  usage: 'can-i <verb> [deployment] [-n namespace]',
  examples: ['can-i deploy checkout -n prod', 'can-i logs -n staging'],
  positionals: ['verb', 'deployment'],
  flags: { namespace: namespaceFlag },
  schema: () =>
    z
      .object({
        verb: z.enum(policyVerbs, { error: `the verb is one of ${policyVerbs.join(', ')}` }),
        deployment: deploymentName.optional(),
        namespace: namespaceName,
      })
      .strict(),
  verb: 'none',
  runsIn: 'gateway',
  describe: (a) => `can-i ${a.verb}${a.deployment ? ` ${a.deployment}` : ''} in ${a.namespace}`,
  run: (a, ctx) => {
    const decision = ctx.access.decide({
      verb: a.verb,
      namespace: a.namespace,
      ...(a.deployment ? { deployment: a.deployment } : {}),
    });
    const what = `${a.verb}${a.deployment ? ` ${a.deployment}` : ''} in ${a.namespace}`;
    return decision.allowed
      ? { kind: 'text', title: 'yes', text: `Yes, you may ${what}: ${decision.rule}.\nPolicy: ${ctx.access.source}` }
      : { kind: 'text', title: 'no', text: `No. ${decision.reason}\nPolicy: ${ctx.access.source}` };
  },
});
