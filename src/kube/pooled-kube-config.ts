// client-node builds a new undici Agent for every API call (KubeConfig.createDispatcher, from
// applySecurityAuthentication), so each typed call opened a TCP connection and did a full TLS handshake, on both ends:
// the largest share of the bot's CPU while alerts flowed (bench/RESULTS.md §4.5). Here one Agent per distinct TLS
// setup (CA, client certificate, proxy) serves every request, its connections kept alive; a rotated client
// certificate is a new setup and gets a new Agent, the old one closed once its requests are done.
import * as k8s from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

/** client-node's private method this replaces; checked at load, so an upgrade that renames it fails loudly. */
interface DispatcherMaker {
  createDispatcher(this: k8s.KubeConfig, cluster: k8s.Cluster | null, agentOptions: object): Dispatcher | undefined;
}
const original = (k8s.KubeConfig.prototype as unknown as Partial<DispatcherMaker>).createDispatcher;
if (typeof original !== 'function')
  throw new Error(
    '@kubernetes/client-node no longer has KubeConfig.createDispatcher: pooled-kube-config.ts needs updating',
  );

/**
 * The same TLS setup: equal fields, Buffers (CA, certificate, key; client-node makes new ones for every call) compared
 * by content. Cheaper than a JSON key of the base64 of every certificate, which was made per API call.
 */
function sameSetup(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) return sameItems(a, b);
  return isRecord(a) && isRecord(b) && sameFields(a, b);
}

function sameItems(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameSetup(x, b[i]));
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  return (
    keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => sameSetup(a[k], b[k]))
  );
}

/** The Agents of the TLS setups in use, newest last; a handful at most (rotation, impersonation shares them). */
export class DispatcherPool {
  readonly #agents: { readonly options: k8s.DispatcherOptions; readonly agent: Dispatcher }[] = [];

  /** The Agent for these options, made by `make` the first time. */
  dispatcherFor(options: k8s.DispatcherOptions, make: () => Dispatcher | undefined): Dispatcher | undefined {
    const kept = this.#agents.find((entry) => sameSetup(entry.options, options));
    if (kept) return kept.agent;
    const made = make();
    if (!made) return undefined;
    this.#agents.push({ options, agent: made });
    for (const old of this.#agents.splice(0, Math.max(0, this.#agents.length - maxSetups)))
      void old.agent.close().catch(() => undefined); // requests in flight finish first
    return made;
  }

  /** How many Agents are kept (for tests). */
  get size(): number {
    return this.#agents.length;
  }

  /** Closes every Agent. */
  async close(): Promise<void> {
    const agents = this.#agents.splice(0);
    await Promise.all(agents.map(({ agent }) => agent.close().catch(() => undefined)));
  }
}

/** Distinct TLS setups kept at once: more means certificates rotate, and the oldest are done with. */
const maxSetups = 4;

/** A KubeConfig whose API calls and watches share kept-alive connections through `dispatchers`. */
export class PooledKubeConfig extends k8s.KubeConfig {
  readonly dispatchers: DispatcherPool;

  constructor(dispatchers: DispatcherPool = new DispatcherPool()) {
    super();
    this.dispatchers = dispatchers;
  }
}

const pooled: DispatcherMaker['createDispatcher'] = function (this: k8s.KubeConfig, cluster, agentOptions) {
  const options = this.createDispatcherOptions(cluster, agentOptions);
  if (options.type === 'none') return undefined;
  return (this as PooledKubeConfig).dispatchers.dispatcherFor(options, () =>
    original.call(this, cluster, agentOptions),
  );
};
Object.defineProperty(PooledKubeConfig.prototype, 'createDispatcher', { value: pooled });
