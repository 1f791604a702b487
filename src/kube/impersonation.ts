// Acting as a Kubernetes user and groups, so that Kubernetes RBAC is a second,
// independent gate behind the policy. client-node sets headers through fetch,
// which folds repeated headers into one comma-joined line; the API server reads
// every Impersonate-Group line as one group, so the headers are set one level
// lower, on the undici dispatcher, where repeated lines stay repeated (over HTTP/1.1).
import type * as k8s from '@kubernetes/client-node';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import type { KubeIdentity } from './kube-api.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';

type HeaderPairs = [string, string][];

function pairsOf(headers: Dispatcher.DispatchOptions['headers']): HeaderPairs {
  if (!headers) return [];
  if (Array.isArray(headers)) {
    const flat = headers;
    const pairs: HeaderPairs = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), String(flat[i + 1])]);
    return pairs;
  }
  const entries =
    Symbol.iterator in headers
      ? [...(headers as Iterable<[string, string | string[] | undefined]>)]
      : Object.entries(headers);
  return entries.flatMap(([name, value]) =>
    value === undefined ? [] : [value].flat().map((v): [string, string] => [name, String(v)]),
  );
}

/**
 * The request's headers with every Impersonate-* header replaced by the
 * identity's: one Impersonate-User line and one Impersonate-Group line per group.
 * A flat array, the form undici sends line by line.
 */
export function impersonationHeaders(headers: Dispatcher.DispatchOptions['headers'], identity: KubeIdentity): string[] {
  const kept = pairsOf(headers).filter(([name]) => !name.toLowerCase().startsWith('impersonate-'));
  const added: HeaderPairs = [
    ['Impersonate-User', identity.user],
    ...identity.groups.map((g: string): [string, string] => ['Impersonate-Group', g]),
  ];
  return [...kept, ...added].flat();
}

/**
 * Sets the identity's headers on every request, over HTTP/1.1: undici's HTTP/2
 * client joins repeated headers into one (`a, b`), which the API server would
 * read as a single group named "a, b". The Agent honours a per-request allowH2
 * (as fetch uses it), though undici's typings do not list it.
 */
function interceptor(identity: KubeIdentity): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    const http1: Dispatcher.DispatchOptions & { readonly allowH2: false } = {
      ...options,
      headers: impersonationHeaders(options.headers, identity),
      allowH2: false,
    };
    return dispatch(http1, handler);
  };
}

/** A KubeConfig whose every request, API call or watch alike, carries the identity's impersonation headers. */
class ImpersonatingKubeConfig extends PooledKubeConfig {
  readonly #identity: KubeIdentity;

  constructor(base: k8s.KubeConfig, identity: KubeIdentity) {
    // The same connections as the bot's own calls: impersonation is a header, not a TLS setup.
    super(base instanceof PooledKubeConfig ? base.dispatchers : undefined);
    this.loadFromOptions({
      clusters: base.clusters,
      contexts: base.contexts,
      users: base.users,
      currentContext: base.currentContext,
    });
    this.#identity = identity;
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const dispatcher: Dispatcher = context.getDispatcher() ?? getGlobalDispatcher();
    context.setDispatcher(dispatcher.compose(interceptor(this.#identity)));
  }
}

/** The same cluster and credentials as `base`, acting as `identity`. */
export function impersonatingConfig(base: k8s.KubeConfig, identity: KubeIdentity): k8s.KubeConfig {
  return new ImpersonatingKubeConfig(base, identity);
}
