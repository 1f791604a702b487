// Which channel owns a namespace's alerts: the first route of the policy whose
// namespace globs match. No route, no alert.
import { globMatch } from '../policy/decide.ts';
import type { Policy } from '../policy/policy-schema.ts';

/** The channel for alerts in `namespace`, or undefined when none is routed. */
export function alertChannelFor(policy: Policy, namespace: string): string | undefined {
  return policy.alerts.routes.find((route) => route.namespaces.some((glob) => globMatch(glob, namespace)))?.channel;
}
