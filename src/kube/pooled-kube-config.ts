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

/** The Agents of the TLS setups in use, newest last; a handful at most (rotation, impersonation shares them). */
export class DispatcherPool {
  readonly #agents = new Map<string, Dispatcher>();

  /** The Agent for these options, made by `make` the first time. */
  dispatcherFor(options: k8s.DispatcherOptions, make: () => Dispatcher | undefined): Dispatcher | undefined {
    const key = JSON.stringify(options, (_name, value: unknown) =>
      Buffer.isBuffer(value) ? value.toString('base64') : value,
    );
    const kept = this.#agents.get(key);
    if (kept) return kept;
    const made = make();
    if (!made) return undefined;
    this.#agents.set(key, made);
    for (const [old, agent] of this.#agents) {
      if (this.#agents.size <= maxSetups) break;
      this.#agents.delete(old);
      void agent.close().catch(() => undefined); // requests in flight finish first
    }
    return made;
  }

  /** How many Agents are kept (for tests). */
  get size(): number {
    return this.#agents.size;
  }

  /** Closes every Agent. */
  async close(): Promise<void> {
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.close().catch(() => undefined)));
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
