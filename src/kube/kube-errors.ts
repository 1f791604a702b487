// Turns whatever @kubernetes/client-node throws into an AppError whose message a
// user may read: what went wrong in their terms, whether to retry, and never a
// token, a header or the raw response the client puts into its messages.
// The exception module alone: the package's index loads its whole generated API.
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { AppError, type ErrorCode } from '../errors.ts';
import { countKubeError } from '../metrics/metrics.ts';
import { describeIdentity, type KubeIdentity } from './kube-api.ts';

/** What the failed call was about, for the wording of the message. */
export interface KubeErrorContext {
  /** The API server URL; only its origin is ever shown. */
  readonly server: string;
  /** e.g. 'deployment "web" in namespace "staging"'. */
  readonly what?: string;
  /** The identity the call impersonated, if any: a refusal is then that identity's, not the bot's. */
  readonly actingAs?: KubeIdentity;
}

/** The parts of a Kubernetes Status body we use. */
interface KubeStatus {
  readonly message?: string;
  readonly reason?: string;
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const maxApiMessage = 500;

/** The server's origin: no user info, path or query that could carry a secret. */
export function serverOrigin(server: string): string {
  try {
    return new URL(server).origin;
  } catch {
    return 'the configured address';
  }
}

function parseStatus(body: unknown): KubeStatus {
  if (typeof body === 'object' && body !== null) return body;
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

function clip(text: string, max = maxApiMessage): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Says which permission is missing, from the API server's RBAC message
 * ('… cannot patch resource "deployments" in API group "apps" in the namespace "x"'):
 * the bot's own, or, when the call impersonated someone, that identity's. A refusal
 * to impersonate is always the bot's.
 */
export function describeForbidden(message: string, actingAs?: KubeIdentity): string {
  const match =
    /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/.exec(
      message,
    );
  if (!match) {
    return actingAs
      ? `Kubernetes refused ${describeIdentity(actingAs)}, as whom the policy has the bot act: ${clip(message)}`
      : `the bot's Kubernetes identity is not allowed to do this: ${clip(message)}`;
  }
  const [, verb = '', resource = '', group = '', namespace] = match;
  const qualified = group === '' ? resource : `${resource}.${group}`;
  const where = namespace === undefined ? 'at cluster scope' : `in namespace ${namespace}`;
  return describeRefusal(verb, qualified, where, actingAs);
}

function describeRefusal(verb: string, qualified: string, where: string, actingAs: KubeIdentity | undefined): string {
  if (verb === 'impersonate') {
    return `the bot's Kubernetes identity may not impersonate ${qualified} (needed for ${actingAs ? describeIdentity(actingAs) : 'the identity its policy names'}); grant it with deploy/overlays/impersonation`;
  }
  if (actingAs) {
    return `Kubernetes refused: ${describeIdentity(actingAs)} may not ${verb} ${qualified} ${where}. The policy allowed it, but Kubernetes RBAC for that identity does not`;
  }
  if (writeGranted.has(`${verb} ${qualified}`) && where.startsWith('in namespace')) {
    return (
      `Kubernetes refused: the bot may not ${verb} ${qualified} ${where}: no RoleBinding there grants it the ClusterRole coxswain-write. ` +
      'The bot may change only the namespaces its grants name; an admin generates them from the policy with `coxswain rbac` (docs/security.md#kubernetes-rbac)'
    );
  }
  return `the bot's Kubernetes identity may not ${verb} ${qualified} ${where} (its RBAC lacks that permission)`;
}

/**
 * What the ClusterRole coxswain-write grants (deploy/base/rbac.yaml): refusals of these mean a namespace's grant is
 * missing.
 */
const writeGranted: ReadonlySet<string> = new Set([
  'patch deployments.apps',
  'patch deployments/scale.apps',
  'get deployments/scale.apps',
]);

function sanitizedCause(code: number, status: KubeStatus): Error {
  return new Error(
    `Kubernetes API answered HTTP ${code}${status.reason ? ` ${status.reason}` : ''}: ${clip(status.message ?? '')}`,
  );
}

type Wording = (message: string, context: KubeErrorContext) => readonly [ErrorCode, string];

const wordingByStatus: ReadonlyMap<number, Wording> = new Map<number, Wording>([
  [400, (message) => ['bad_input', `Kubernetes refused the request: ${clip(message)}`]],
  [
    401,
    (_m, context) => [
      'forbidden',
      `the Kubernetes API server at ${serverOrigin(context.server)} rejected the bot's credentials`,
    ],
  ],
  [403, (message, context) => ['forbidden', describeForbidden(message, context.actingAs)]],
  [404, (_m, context) => ['not_found', `${context.what ?? 'the object'} was not found`]],
  [
    409,
    (_m, context) => [
      'conflict',
      `${context.what ?? 'the object'} was changed by someone else meanwhile; trying again`,
    ],
  ],
  [422, (message) => ['invalid', `Kubernetes refused the change: ${clip(message)}`]],
]);

function wordingFor(code: number): Wording {
  const known = wordingByStatus.get(code);
  if (known) return known;
  if (code === 429 || code >= 500) {
    return (_m, context) => [
      'unavailable',
      `the Kubernetes API server at ${serverOrigin(context.server)} is overloaded or failing (HTTP ${code}); trying again`,
    ];
  }
  return () => ['internal', `the Kubernetes API answered HTTP ${code}`];
}

function fromApiStatus(code: number, body: unknown, context: KubeErrorContext): AppError {
  const status = parseStatus(body);
  const [errorCode, userMessage] = wordingFor(code)(status.message ?? '', context);
  return new AppError(errorCode, userMessage, { cause: sanitizedCause(code, status) });
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error means the API server could not be reached or answered too late. */
export function isNetworkError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && networkCodes.has(code)) return true;
  // By shape, not instanceof: DOMException and undici's errors may come from another realm.
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'TimeoutError' || (name === 'TypeError' && message === 'fetch failed');
}

/** The HTTP status of a client-node failure: ApiException.code, or a Watch error's statusCode. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  // Not `.code`: DOMException and system errors use it for other things.
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Maps a failure of a client-node call to an AppError: 404 not_found, 403
 * forbidden (naming the missing permission), 422 invalid, 409 conflict
 * (retried), 429/5xx/network unavailable (retried). An AppError passes through.
 */
export function toKubeError(error: unknown, context: KubeErrorContext): AppError {
  if (error instanceof AppError) return error;
  const mapped = mapKubeError(error, context);
  countKubeError(mapped.code);
  return mapped;
}

function mapKubeError(error: unknown, context: KubeErrorContext): AppError {
  const status = httpStatusOf(error);
  if (status !== undefined)
    return fromApiStatus(status, error instanceof ApiException ? error.body : undefined, context);
  if (isNetworkError(error)) {
    const code = errorCode(error) ?? String((error as { name?: unknown }).name);
    return new AppError(
      'unavailable',
      `the Kubernetes API server at ${serverOrigin(context.server)} is unreachable (${code}); trying again`,
      { cause: new Error(`network error ${code}`) },
    );
  }
  // Not an HTTP answer, so no response headers can be in it: keep it for the log.
  return new AppError('internal', 'the Kubernetes client failed unexpectedly', { cause: error });
}
