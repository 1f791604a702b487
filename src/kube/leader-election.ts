// Leader election on a coordination.k8s.io/v1 Lease, the way client-go's
// leaderelection does it, so that one watcher per cluster is active and a
// standby takes over when it stops or dies.
//
// Clocks: a replica never compares its clock with a time another replica wrote
// (nodes' clocks differ). A standby measures the lease duration from the moment
// *it* saw the Lease change (its resourceVersion), and the leader from the
// moment it *sent* its last successful write, on the monotonic clock. The write
// is committed after it was sent and seen after it was committed, so the
// leader's deadline always falls before any standby's; the leader also gives up
// `stepDownMarginMs` earlier still, for timers that fire late.
//
// The Lease is read and written as raw JSON over the KubeConnection: it is the
// election's private state, not an object commands act on, so it has no place
// in KubeApi, and the watcher process need not load client-node's typed API for
// it; errors still map through kube-errors.ts.
import { kubeJson, type KubeConnection, type KubeRequest } from './kube-connection.ts';
import { httpStatusOf, toKubeError } from './kube-errors.ts';
import type { Log } from '../log/create-logger.ts';

/** Options of startLeaderElection. */
export interface LeaderElectionOptions {
  /** The API server, as the bot. */
  readonly connection: KubeConnection;
  /** Where the Lease lives: 'coxswain' in production. */
  readonly namespace: string;
  /** The Lease's name, e.g. `coxswain-watcher-${cluster}`. */
  readonly name: string;
  /** This replica, unique among the candidates, e.g. `${hostname}-${pid}-${random}`. */
  readonly identity: string;
  /**
   * How long a standby waits after the Lease last changed before taking it. Default 15 s; written in whole seconds,
   * rounded up.
   */
  readonly leaseDurationMs?: number;
  /** How often the leader renews. Default 5 s. */
  readonly renewEveryMs?: number;
  /** How often a standby looks at the Lease. Default 2 s. */
  readonly retryEveryMs?: number;
  /**
   * The leader steps down this long before a standby could consider the Lease
   * expired, to absorb late timers. Default leaseDurationMs / 5.
   */
  readonly stepDownMarginMs?: number;
  /** One API call is abandoned after this long. Default renewEveryMs. */
  readonly requestTimeoutMs?: number;
  /** Called when this replica becomes the leader. */
  readonly onStartedLeading: () => void;
  /**
   * Called when it stops leading: the Lease was lost (renewal failed past the deadline, or taken over) or stop() was
   * called.
   */
  readonly onStoppedLeading: () => void;
  /** Hand-overs at info/warn; API failures at warn (error for 401/403) once per streak, debug after. */
  readonly log: Log;
}

/** A running election. */
export interface LeaderElection {
  /** True while this replica holds the Lease and its last renewal is still good. */
  isLeader(): boolean;
  /**
   * Stops; when leading, releases the Lease (so a standby takes over at its next retry, not after leaseDuration) and
   * calls onStoppedLeading.
   */
  stop(): Promise<void>;
}

/** The coordination.k8s.io/v1 LeaseSpec, as JSON (times are MicroTime strings). */
export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** A Lease as JSON; other fields the server sends are kept and sent back as they were. */
export interface Lease {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly [field: string]: unknown;
  };
  readonly spec?: LeaseSpec;
}

/** A MicroTime: RFC 3339 with exactly six fractional digits, as the API server parses it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** What a replica saw of the Lease, and when by its own monotonic clock. */
export interface LeaseObservation {
  readonly resourceVersion: string;
  /** '' when the Lease was released. */
  readonly holder: string;
  /** The holder's lease duration, as written in the Lease. */
  readonly leaseDurationMs: number;
  /** When this version was first seen (for this replica's own write: when it was sent). */
  readonly observedAt: number;
}

/** What to do with a Lease that exists: keep out of it, renew our hold, or take it over. */
export type LeaseDecision = 'stand-by' | 'renew' | 'take';

/**
 * The observation after reading `lease` at `now`: unchanged (observedAt kept)
 * while its resourceVersion is the one seen before, else a fresh one.
 */
export function observeLease(previous: LeaseObservation | undefined, lease: Lease, now: number): LeaseObservation {
  const resourceVersion = lease.metadata?.resourceVersion ?? '';
  if (previous?.resourceVersion === resourceVersion) return previous;
  return {
    resourceVersion,
    holder: lease.spec?.holderIdentity ?? '',
    leaseDurationMs: (lease.spec?.leaseDurationSeconds ?? 0) * 1000,
    observedAt: now,
  };
}

/**
 * client-go's rule: a Lease held by another replica is theirs until its lease
 * duration has passed since it was last seen to change; a released one (no
 * holder) or an expired one may be taken; our own is renewed.
 */
export function decideOnLease(observed: LeaseObservation, identity: string, now: number): LeaseDecision {
  if (observed.holder === identity) return 'renew';
  if (observed.holder === '') return 'take';
  return now < observed.observedAt + observed.leaseDurationMs ? 'stand-by' : 'take';
}

/** Lease durations are whole seconds; round up so a standby never waits less than the leader counts on. */
export function leaseDurationSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The spec that makes `identity` the holder as of `wallNow`: a renewal keeps
 * acquireTime and leaseTransitions, a take-over counts one more transition.
 */
export function holdingSpec(
  current: LeaseSpec | undefined,
  identity: string,
  leaseDurationMs: number,
  wallNow: number,
): LeaseSpec {
  const now = microTime(wallNow);
  const renewing = current?.holderIdentity === identity;
  return {
    ...current,
    holderIdentity: identity,
    leaseDurationSeconds: leaseDurationSeconds(leaseDurationMs),
    renewTime: now,
    acquireTime: renewing && current.acquireTime ? current.acquireTime : now,
    leaseTransitions: current ? (current.leaseTransitions ?? 0) + (renewing ? 0 : 1) : 0,
  };
}

interface Timing {
  readonly leaseDurationMs: number;
  readonly renewEveryMs: number;
  readonly retryEveryMs: number;
  readonly stepDownMarginMs: number;
  readonly requestTimeoutMs: number;
}

interface Elector {
  readonly options: LeaderElectionOptions;
  readonly timing: Timing;
  readonly path: { readonly leases: string; readonly lease: string };
  readonly fields: Record<string, unknown>;
  stopped: boolean;
  leading: boolean;
  /** Monotonic time until which the last successful write keeps us leader. */
  validUntil: number;
  observed: LeaseObservation | undefined;
  /** The latest copy of the Lease naming us as holder, for release. */
  held: Lease | undefined;
  /** The error code of the current failure streak, so it is logged once. */
  failing: string | undefined;
  next: NodeJS.Timeout | undefined;
  deadline: NodeJS.Timeout | undefined;
  inFlight: Promise<void> | undefined;
  stopping: Promise<void> | undefined;
}

const now = (): number => performance.now();

function resolveTiming(options: LeaderElectionOptions): Timing {
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewEveryMs = options.renewEveryMs ?? 5_000;
  const timing = {
    leaseDurationMs,
    renewEveryMs,
    retryEveryMs: options.retryEveryMs ?? 2_000,
    stepDownMarginMs: options.stepDownMarginMs ?? leaseDurationMs / 5,
    requestTimeoutMs: options.requestTimeoutMs ?? renewEveryMs,
  };
  if (Object.values(timing).some((ms) => !(ms > 0)))
    throw new Error('leader election: every duration must be positive');
  if (renewEveryMs >= leaseDurationMs - timing.stepDownMarginMs) {
    throw new Error(
      `leader election: renewEveryMs (${renewEveryMs}) must be less than leaseDurationMs minus the step-down margin (${leaseDurationMs - timing.stepDownMarginMs})`,
    );
  }
  return timing;
}

/** One Lease request, abandoned after requestTimeoutMs so the loop never stalls on a dead connection. */
function leaseCall(e: Elector, path: string, request: Omit<KubeRequest, 'signal'> = {}): Promise<Lease> {
  return kubeJson<Lease>(e.options.connection, path, {
    ...request,
    signal: AbortSignal.timeout(e.timing.requestTimeoutMs),
  });
}

const leaseBody = (lease: Lease): Lease => ({ ...lease, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' });

function notify(e: Elector, callback: () => void, which: string): void {
  try {
    callback();
  } catch (error) {
    e.options.log('error', `leader election: ${which} threw`, { ...e.fields, error: String(error) });
  }
}

function stepDown(e: Elector, reason: string): void {
  clearTimeout(e.deadline);
  if (!e.leading) return;
  e.leading = false;
  e.options.log(reason === 'stopped' ? 'info' : 'warn', `leader election: stopped leading (${reason})`, e.fields);
  notify(e, e.options.onStoppedLeading, 'onStoppedLeading');
}

/** Our write succeeded: lead until `sentAt` + lease duration − margin, unless that has already passed. */
function holding(e: Elector, lease: Lease, sentAt: number): void {
  e.held = lease;
  e.observed = {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    holder: e.options.identity,
    leaseDurationMs: e.timing.leaseDurationMs,
    observedAt: sentAt,
  };
  const validUntil = sentAt + e.timing.leaseDurationMs - e.timing.stepDownMarginMs;
  if (e.stopped || now() >= validUntil) return;
  e.validUntil = validUntil;
  clearTimeout(e.deadline);
  e.deadline = setTimeout(() => stepDown(e, 'could not renew the lease in time'), validUntil - now()).unref();
  if (e.leading) return;
  e.leading = true;
  e.options.log('info', 'leader election: started leading', e.fields);
  notify(e, e.options.onStartedLeading, 'onStartedLeading');
}

/**
 * A write lost the race (409): someone else created or changed the Lease first. Not an error; the next look decides.
 */
function lostRace(e: Elector, error: unknown): void {
  if (httpStatusOf(error) !== 409) throw error;
  e.options.log('debug', 'leader election: another replica changed the lease first', e.fields);
}

async function readLease(e: Elector): Promise<Lease | undefined> {
  try {
    return await leaseCall(e, e.path.lease);
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
}

async function createLease(e: Elector): Promise<void> {
  const { name, identity } = e.options;
  const sentAt = now();
  const body: Lease = {
    metadata: { name },
    spec: holdingSpec(undefined, identity, e.timing.leaseDurationMs, Date.now()),
  };
  try {
    holding(e, await leaseCall(e, e.path.leases, { method: 'POST', body: leaseBody(body) }), sentAt);
  } catch (error) {
    lostRace(e, error);
  }
}

async function writeLease(e: Elector, lease: Lease): Promise<void> {
  const sentAt = now();
  const body: Lease = {
    ...lease,
    spec: holdingSpec(lease.spec, e.options.identity, e.timing.leaseDurationMs, Date.now()),
  };
  try {
    holding(e, await leaseCall(e, e.path.lease, { method: 'PUT', body: leaseBody(body) }), sentAt);
  } catch (error) {
    lostRace(e, error);
  }
}

/** One round of client-go's tryAcquireOrRenew. */
async function acquireOrRenew(e: Elector): Promise<void> {
  const lease = await readLease(e);
  if (!lease) return createLease(e);
  e.observed = observeLease(e.observed, lease, now());
  if (decideOnLease(e.observed, e.options.identity, now()) !== 'stand-by') return writeLease(e, lease);
  e.held = undefined;
  stepDown(e, `taken over by ${e.observed.holder}`);
}

function reportFailure(e: Elector, error: unknown): void {
  const appError = toKubeError(error, {
    server: e.options.connection.server,
    what: `lease "${e.options.name}" in namespace "${e.options.namespace}"`,
  });
  const fields = {
    ...e.fields,
    code: appError.code,
    cause: appError.cause instanceof Error ? appError.cause.message : undefined,
  };
  if (e.failing === appError.code) {
    e.options.log('debug', `leader election: ${appError.userMessage}`, fields);
    return;
  }
  e.failing = appError.code;
  // 401/403 will not heal by retrying: someone has to fix the credentials or the RBAC (deploy/base/rbac.yaml).
  e.options.log(appError.code === 'forbidden' ? 'error' : 'warn', `leader election: ${appError.userMessage}`, fields);
}

async function attempt(e: Elector): Promise<void> {
  try {
    await acquireOrRenew(e);
    if (e.failing !== undefined) e.options.log('info', 'leader election: the Kubernetes API answers again', e.fields);
    e.failing = undefined;
  } catch (error) {
    reportFailure(e, error);
  }
}

function run(e: Elector): void {
  e.inFlight = attempt(e).then(() => {
    e.inFlight = undefined;
    if (e.stopped) return;
    e.next = setTimeout(() => run(e), e.leading ? e.timing.renewEveryMs : e.timing.retryEveryMs).unref();
  });
}

/** Hands the Lease back as client-go does (no holder, 1 s duration), so a standby need not wait out the lease. */
async function release(e: Elector): Promise<void> {
  const held = e.held;
  if (!held) return;
  e.held = undefined;
  const at = microTime(Date.now());
  const body: Lease = {
    ...held,
    spec: { ...held.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: at, acquireTime: at },
  };
  try {
    await leaseCall(e, e.path.lease, { method: 'PUT', body: leaseBody(body) });
    e.options.log('info', 'leader election: released the lease', e.fields);
  } catch (error) {
    // 409: it changed since our last write, so it is no longer ours to release.
    if (httpStatusOf(error) !== 409) reportFailure(e, error);
  }
}

async function stopElector(e: Elector): Promise<void> {
  await e.inFlight;
  await release(e);
}

function leasePaths(namespace: string, name: string): Elector['path'] {
  const leases = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return { leases, lease: `${leases}/${encodeURIComponent(name)}` };
}

/**
 * Joins the election for `options.name` and keeps trying to lead (or keeps
 * leading) until stopped. API failures are logged, never thrown; throws only
 * for durations that cannot work (renewal slower than the lease allows).
 */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const timing = resolveTiming(options);
  const e: Elector = {
    options,
    timing,
    path: leasePaths(options.namespace, options.name),
    fields: { lease: `${options.namespace}/${options.name}`, identity: options.identity },
    stopped: false,
    leading: false,
    validUntil: 0,
    observed: undefined,
    held: undefined,
    failing: undefined,
    next: undefined,
    deadline: undefined,
    inFlight: undefined,
    stopping: undefined,
  };
  run(e);
  return {
    isLeader: () => e.leading && now() < e.validUntil,
    stop: () => {
      if (e.stopping) return e.stopping;
      e.stopped = true;
      clearTimeout(e.next);
      // Before the release, so our work has stopped by the time a standby may start.
      stepDown(e, 'stopped');
      e.stopping = stopElector(e);
      return e.stopping;
    },
  };
}
