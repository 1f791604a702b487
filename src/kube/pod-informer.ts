// The pods of one namespace (or of all) as a list, then a watch, handed over one
// by one and kept nowhere here: the caller keeps what it needs, so memory grows
// with what the caller keeps, never with a list. The list is read in pages of raw
// JSON over the KubeConnection (client-node's typed deserialization of 10,000
// pods costs hundreds of MB, and its generated API alone ~80 MiB),
// and the watch resumes from the last resourceVersion it saw, relisting only when
// the API server answers 410 Gone. This informer owns its reconnects: client-node's
// Watch has a 30 s idle timer that turns a quiet but healthy watch into an error,
// and its informer's error handling gives up or hammers; here an idle watch is
// recycled quietly and failures back off exponentially, with jitter, up to a cap.
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { AppError } from '../errors.ts';
import { replyFailure, type KubeConnection, type KubeReply } from './kube-connection.ts';
import { httpStatusOf, serverOrigin, toKubeError } from './kube-errors.ts';

/** LISTED: part of a (re)list; the others are watch events. */
export type PodEventType = 'LISTED' | 'ADDED' | 'MODIFIED' | 'DELETED';

/** A container's status as JSON (the V1ContainerStatus shape, the fields alerts read). */
export interface ContainerStatusJson {
  readonly name: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly image?: string;
  readonly state?: ContainerStateJson;
  readonly lastState?: ContainerStateJson;
}

/** A container state as JSON. */
export interface ContainerStateJson {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: {
    readonly reason?: string;
    readonly exitCode?: number;
    readonly message?: string;
    readonly finishedAt?: string;
  };
}

/**
 * The pod as JSON (the V1Pod shape: metadata, spec, status, with dates as strings),
 * typed as far as the watcher reads it; the rest is there untyped. Pods of a list
 * carry no kind or apiVersion. Callers keep only the fields they need.
 */
export interface PodJson {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly uid?: string;
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly {
      readonly apiVersion?: string;
      readonly kind: string;
      readonly name: string;
      readonly uid?: string;
      readonly controller?: boolean;
    }[];
    readonly creationTimestamp?: string | Date;
    readonly deletionTimestamp?: string | Date;
  };
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: readonly { readonly name: string; readonly image?: string }[];
    readonly initContainers?: readonly { readonly name: string; readonly image?: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
      readonly lastTransitionTime?: string | Date;
    }[];
    readonly containerStatuses?: readonly ContainerStatusJson[];
    readonly initContainerStatuses?: readonly ContainerStatusJson[];
  };
}

/** Options of startPodInformer. */
export interface PodInformerOptions {
  readonly connection: KubeConnection;
  /** Only this namespace's pods. Default: all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** A (re)list begins: the caller marks what it has as unconfirmed. */
  readonly onListStart: () => void;
  /** Each pod of a list ('LISTED', page by page), then each watch event. */
  readonly onPod: (type: PodEventType, pod: PodJson) => void;
  /** The list is complete: pods not LISTED since onListStart are gone. Then watching starts. */
  readonly onListEnd: () => void;
  /**
   * Every failure, for the log, with the delay before the next attempt. The informer
   * keeps going unless the failure is permanent (see onFatal). A 410 Gone, a watch
   * the server ends and an idle watch recycled are not failures.
   */
  readonly onError?: (error: AppError, willRetryInMs: number | undefined) => void;
  /**
   * A failure retrying cannot fix; the informer has stopped. A 400 (a bad selector) always
   * is; a refusal (401, 403, 404) is before the first list completes, and afterwards once
   * refusals have lasted refusalGraceMs.
   */
  readonly onFatal: (error: AppError) => void;
  /** First retry delay. Default 250 ms. */
  readonly initialBackoffMs?: number;
  /** Retry delays double up to this. Default 30 s. */
  readonly maxBackoffMs?: number;
  /** Pods per list page. Default 500. */
  readonly pageSize?: number;
  /** The API server ends each watch after this long, so connections are recycled. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
  /**
   * A watch that sends nothing (not even a bookmark, which come about every minute)
   * for this long is presumed dead and resumed, without counting as a failure.
   * Default 150 s.
   */
  readonly idleTimeoutMs?: number;
  /** A list page, or a watch's response headers, must arrive within this. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /**
   * Once synced, refusals (401, 403, 404) are retried for this long before they count as
   * permanent: an API server that has just started answers 403 for a moment, until its
   * RBAC caches are filled, and that must not end the watch for good. Default 60 s.
   */
  readonly refusalGraceMs?: number;
  /**
   * Start by watching from this resourceVersion instead of listing; the caller's
   * state must already reflect it. If it is too old (410), the informer lists.
   * Default: list first.
   */
  readonly resumeFrom?: string;
}

/** A running informer. */
export interface PodInformer {
  /** True once the first list completed (for readiness). */
  synced(): boolean;
  /** The resourceVersion it would resume from (for tests and logs). */
  resourceVersion(): string | undefined;
  /** Ends the request in flight and any pending retry; safe to call twice. */
  stop(): void;
}

/** A watch that lasted this long was healthy: the backoff starts over. */
const healthyAfterMs = 5_000;
/** Retrying cannot fix a bad selector. */
const invalidStatuses = new Set([400]);
/** Refusals: permanent unless the informer has already been allowed (see refusalGraceMs). */
const refusalStatuses = new Set([401, 403, 404]);
/** How much of a watch ERROR event is kept. */
const maxErrorBody = 4_096;

type AbortWhy = 'stopped' | 'idle' | 'timeout';

/** Why this informer aborted its own request: an abort reason, not a failure of the server. */
class InformerAbort extends Error {
  readonly why: AbortWhy;

  constructor(why: AbortWhy) {
    super(`pod informer request aborted (${why})`);
    this.why = why;
  }
}

/** The resourceVersion or continue token is too old for the API server: only a new list helps. */
class GoneError extends Error {}

interface Settings {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly pageSize: number;
  readonly watchTimeoutSeconds: number;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly refusalGraceMs: number;
}

interface InformerState {
  stopped: boolean;
  needsList: boolean;
  synced: boolean;
  resourceVersion: string | undefined;
  failures: number;
  /** When the refusals began that no success has ended yet. */
  refusedSince: number | undefined;
  /** When the current watch got its 200, if it did. */
  watchingSince: number | undefined;
  controller: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
  wake: (() => void) | undefined;
}

interface Informer {
  readonly options: PodInformerOptions;
  readonly settings: Settings;
  readonly state: InformerState;
}

/** What one list-and-watch attempt came to. */
type Outcome =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'ended'; readonly quiet: boolean }
  | { readonly kind: 'gone' }
  | { readonly kind: 'failed'; readonly error: AppError }
  | { readonly kind: 'fatal'; readonly error: AppError };

interface PodList {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly PodJson[];
}

interface WatchEvent {
  readonly type?: string;
  readonly object?: PodJson & { readonly code?: number; readonly reason?: string; readonly message?: string };
}

const podEventTypes: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);

function settingsOf(options: PodInformerOptions): Settings {
  return {
    initialBackoffMs: options.initialBackoffMs ?? 250,
    maxBackoffMs: options.maxBackoffMs ?? 30_000,
    pageSize: options.pageSize ?? 500,
    watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
    idleTimeoutMs: options.idleTimeoutMs ?? 150_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    refusalGraceMs: options.refusalGraceMs ?? 60_000,
  };
}

function describeTarget(options: PodInformerOptions): string {
  return options.namespace === undefined ? 'pods in all namespaces' : `pods in namespace "${options.namespace}"`;
}

function kubeError(informer: Informer, error: unknown): AppError {
  return toKubeError(error, { server: informer.options.connection.server, what: describeTarget(informer.options) });
}

const podsPath = (options: PodInformerOptions): string =>
  options.namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`;

/** A fresh controller for the next request; stop() aborts whichever is current. */
function nextController(informer: Informer): AbortController {
  const controller = new AbortController();
  informer.state.controller = controller;
  return controller;
}

/** GET of the pods with `query`; anything but 200 throws (410 as GoneError). */
async function get(
  informer: Informer,
  query: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): Promise<KubeReply> {
  const { options } = informer;
  const reply = await options.connection.request(podsPath(options), {
    query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, ...query },
    signal,
  });
  if (reply.status !== 200) throw await statusFailure(reply);
  informer.state.refusedSince = undefined;
  return reply;
}

async function statusFailure(reply: KubeReply): Promise<Error> {
  if (reply.status !== 410) return replyFailure(reply);
  await reply.body.dump().catch(() => undefined);
  return new GoneError('410 Gone');
}

/** A watch ERROR event carries a Status; 410 means the resourceVersion is too old. */
function watchEventFailure(status: WatchEvent['object']): Error {
  const code = status?.code ?? 500;
  if (code === 410) return new GoneError(status?.message ?? '410 Gone');
  return new ApiException(code, `watch error ${code}`, JSON.stringify(status ?? {}).slice(0, maxErrorBody), {});
}

async function readPage(informer: Informer, continueToken: string | undefined): Promise<PodList> {
  const controller = nextController(informer);
  const deadline = setTimeout(() => controller.abort(new InformerAbort('timeout')), informer.settings.requestTimeoutMs);
  try {
    const reply = await get(
      informer,
      { limit: String(informer.settings.pageSize), continue: continueToken },
      controller.signal,
    );
    return (await reply.body.json()) as PodList;
  } finally {
    clearTimeout(deadline);
  }
}

/** Lists every pod, a page at a time; only the page being handed over is in memory. */
async function listPods(informer: Informer): Promise<void> {
  const { options, state } = informer;
  options.onListStart();
  let continueToken: string | undefined;
  let resourceVersion: string | undefined;
  do {
    const page = await readPage(informer, continueToken);
    for (const pod of page.items ?? []) {
      if (state.stopped) return;
      options.onPod('LISTED', pod);
    }
    continueToken = page.metadata?.continue || undefined;
    resourceVersion = page.metadata?.resourceVersion;
    // Between pages the process does its other work (renewing the Lease, delivering alerts); a page is garbage by now.
    if (continueToken !== undefined) await setImmediatePromise();
  } while (continueToken !== undefined);
  if (!resourceVersion) throw new Error('the pod list carries no resourceVersion');
  Object.assign(state, { resourceVersion, needsList: false, synced: true });
  options.onListEnd();
}

function handleEvent(informer: Informer, event: WatchEvent): void {
  const { options, state } = informer;
  if (state.stopped || event.type === undefined) return;
  if (event.type === 'ERROR') throw watchEventFailure(event.object);
  const pod = event.object;
  if (podEventTypes.has(event.type) && pod) options.onPod(event.type as PodEventType, pod);
  // After onPod: if the caller threw, the event comes again after the retry.
  const resourceVersion = pod?.metadata?.resourceVersion;
  if (resourceVersion) state.resourceVersion = resourceVersion;
}

/** Handles the complete lines of `text` and returns the incomplete rest. */
function handleLines(informer: Informer, text: string): string {
  let start = 0;
  for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line !== '') handleEvent(informer, JSON.parse(line) as WatchEvent);
  }
  return text.slice(start);
}

async function readEvents(informer: Informer, reply: KubeReply, idle: NodeJS.Timeout): Promise<void> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of reply.body as AsyncIterable<Uint8Array>) {
    idle.refresh();
    rest = handleLines(informer, rest + decoder.decode(chunk, { stream: true }));
  }
}

/** Watches from the last resourceVersion until the server ends the watch or it fails. */
async function watchPods(informer: Informer): Promise<void> {
  const { settings, state } = informer;
  const controller = nextController(informer);
  const deadline = setTimeout(() => controller.abort(new InformerAbort('timeout')), settings.requestTimeoutMs);
  const query = {
    watch: 'true',
    allowWatchBookmarks: 'true',
    resourceVersion: state.resourceVersion,
    timeoutSeconds: String(settings.watchTimeoutSeconds),
  };
  try {
    const reply = await get(informer, query, controller.signal);
    clearTimeout(deadline);
    state.watchingSince = Date.now();
    const idle = setTimeout(() => controller.abort(new InformerAbort('idle')), settings.idleTimeoutMs);
    try {
      await readEvents(informer, reply, idle);
    } finally {
      clearTimeout(idle);
      // A handler that threw leaves the stream open: its connection goes with it.
      if (!reply.body.destroyed) reply.body.destroy();
    }
  } finally {
    clearTimeout(deadline);
  }
}

function ownAbort(informer: Informer): AbortWhy | undefined {
  const signal = informer.state.controller?.signal;
  return signal?.aborted && signal.reason instanceof InformerAbort ? signal.reason.why : undefined;
}

function timeoutError(informer: Informer): AppError {
  const seconds = Math.round(informer.settings.requestTimeoutMs / 1000);
  return new AppError(
    'unavailable',
    `the Kubernetes API server at ${serverOrigin(informer.options.connection.server)} did not answer within ${seconds} s; trying again`,
  );
}

function classify(informer: Informer, error: unknown): Outcome {
  const why = ownAbort(informer);
  if (informer.state.stopped || why === 'stopped') return { kind: 'stopped' };
  if (why === 'idle') return { kind: 'ended', quiet: true };
  if (why === 'timeout') return { kind: 'failed', error: timeoutError(informer) };
  if (error instanceof GoneError) return { kind: 'gone' };
  const status = httpStatusOf(error) ?? 0;
  const fatal = invalidStatuses.has(status) || (refusalStatuses.has(status) && refusalIsFinal(informer));
  return { kind: fatal ? 'fatal' : 'failed', error: kubeError(informer, error) };
}

/** Before the first sync a refusal is a misconfiguration; after it, only once it has lasted. */
function refusalIsFinal(informer: Informer): boolean {
  const { state, settings } = informer;
  if (!state.synced) return true;
  state.refusedSince ??= Date.now();
  return Date.now() - state.refusedSince >= settings.refusalGraceMs;
}

/** One attempt: list if needed, then watch until the watch ends. */
async function attempt(informer: Informer): Promise<Outcome> {
  informer.state.watchingSince = undefined;
  try {
    if (informer.state.needsList) await listPods(informer);
    if (informer.state.stopped) return { kind: 'stopped' };
    await watchPods(informer);
    return informer.state.stopped ? { kind: 'stopped' } : { kind: 'ended', quiet: false };
  } catch (error) {
    return classify(informer, error);
  }
}

/** Capped exponential backoff with jitter (half to all of the step), so retries spread out. */
function backoff(informer: Informer): number {
  const { settings, state } = informer;
  const step = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** Math.min(state.failures, 30));
  state.failures += 1;
  return Math.round(step / 2 + Math.random() * (step / 2));
}

/** The delay before the next attempt, or undefined when there is none. */
function nextDelay(informer: Informer, outcome: Outcome): number | undefined {
  const { options, state } = informer;
  if (outcome.kind === 'stopped') return undefined;
  if (outcome.kind === 'fatal') {
    state.stopped = true;
    options.onFatal(outcome.error);
    return undefined;
  }
  const healthy = state.watchingSince !== undefined && Date.now() - state.watchingSince >= healthyAfterMs;
  if (healthy || (outcome.kind === 'ended' && outcome.quiet)) state.failures = 0;
  if (outcome.kind === 'gone') state.needsList = true;
  const delay = backoff(informer);
  if (outcome.kind === 'failed') options.onError?.(outcome.error, delay);
  return delay;
}

function sleep(state: InformerState, ms: number): Promise<void> {
  return new Promise((resolve) => {
    state.wake = resolve;
    state.timer = setTimeout(resolve, ms);
  });
}

async function run(informer: Informer): Promise<void> {
  while (!informer.state.stopped) {
    const delay = nextDelay(informer, await attempt(informer));
    if (delay === undefined || informer.state.stopped) return;
    await sleep(informer.state, delay);
  }
}

/**
 * Lists the pods, then watches them, until stopped or a permanent failure: see
 * PodInformerOptions for what the caller is told and when.
 */
export function startPodInformer(options: PodInformerOptions): PodInformer {
  const state: InformerState = {
    stopped: false,
    needsList: options.resumeFrom === undefined,
    synced: false,
    resourceVersion: options.resumeFrom,
    failures: 0,
    refusedSince: undefined,
    watchingSince: undefined,
    controller: undefined,
    timer: undefined,
    wake: undefined,
  };
  const informer: Informer = { options, settings: settingsOf(options), state };
  run(informer).catch((error: unknown) => {
    // Only a throwing onError or onFatal gets here; the informer cannot go on.
    state.stopped = true;
    options.onFatal(kubeError(informer, error));
  });
  return {
    synced: () => state.synced,
    resourceVersion: () => state.resourceVersion,
    stop(): void {
      state.stopped = true;
      clearTimeout(state.timer);
      state.wake?.();
      state.controller?.abort(new InformerAbort('stopped'));
    },
  };
}
