// Pure: how client-node failures become AppErrors users may read.
import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { AppError } from '../../../src/errors.ts';
import { describeForbidden, serverOrigin, toKubeError } from '../../../src/kube/kube-errors.ts';

const server = 'https://user:secret@10.0.0.1:6443/some/path?token=abc';
const context = { server, what: 'deployment "web" in namespace "staging"' };
const status = (code: number, message: string, reason = 'X'): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
const apiError = (code: number, message: string): ApiException<string> =>
  new ApiException(code, 'Unknown API Status Code!', status(code, message), {
    authorization: 'Bearer sekrit-token',
    'audit-id': 'a1',
  });

function expectNoSecrets(error: AppError): void {
  const everything = `${error.userMessage} ${error.message} ${String((error.cause as Error | undefined)?.message)}`;
  expect(everything).not.toMatch(/sekrit|secret|token=abc|Bearer|audit-id|authorization/i);
}

describe('toKubeError', () => {
  it('maps 404 to not_found naming the object', () => {
    const error = toKubeError(apiError(404, 'deployments.apps "web" not found'), context);
    expect(error).toMatchObject({
      code: 'not_found',
      retryable: false,
      userMessage: 'deployment "web" in namespace "staging" was not found',
    });
    expectNoSecrets(error);
  });

  it('maps 403 to forbidden naming the verb, resource and namespace the bot lacks', () => {
    const message =
      'pods "x" is forbidden: User "system:serviceaccount:coxswain:coxswain" cannot create resource "pods" in API group "" in the namespace "staging"';
    const error = toKubeError(apiError(403, message), context);
    expect(error.code).toBe('forbidden');
    expect(error.retryable).toBe(false);
    expect(error.userMessage).toBe(
      "the bot's Kubernetes identity may not create pods in namespace staging (its RBAC lacks that permission)",
    );
    expectNoSecrets(error);
  });

  it('maps 422 to invalid with the API message, and 400 to bad_input', () => {
    const invalid = toKubeError(
      apiError(422, 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1'),
      context,
    );
    expect(invalid).toMatchObject({ code: 'invalid', retryable: false });
    expect(invalid.userMessage).toContain('spec.replicas: Invalid value: -1');
    expect(toKubeError(apiError(400, 'container x is not valid for pod y'), context)).toMatchObject({
      code: 'bad_input',
      userMessage: expect.stringContaining('container x is not valid'),
    });
  });

  it('maps 409 to a retryable conflict', () => {
    expect(toKubeError(apiError(409, 'the object has been modified'), context)).toMatchObject({
      code: 'conflict',
      retryable: true,
    });
  });

  it.each([429, 500, 503, 504])('maps %i to a retryable unavailable naming only the server origin', (code) => {
    const error = toKubeError(apiError(code, 'etcdserver: request timed out'), context);
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(error.userMessage).toContain('https://10.0.0.1:6443');
    expectNoSecrets(error);
  });

  it('maps 401 to forbidden: the credentials were rejected', () => {
    expect(toKubeError(new ApiException(401, 'Unauthorized', undefined, {}), context)).toMatchObject({
      code: 'forbidden',
      userMessage: expect.stringContaining("rejected the bot's credentials"),
    });
  });

  it.each([
    [
      'ECONNREFUSED',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }),
      }),
    ],
    ['ETIMEDOUT', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
    ['TimeoutError', new DOMException('The operation was aborted due to timeout', 'TimeoutError')],
    ['fetch failed', new TypeError('fetch failed')],
  ])('maps a network failure (%s) to a retryable unavailable: "unreachable"', (_name, failure) => {
    const error = toKubeError(failure, context);
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(error.userMessage).toMatch(/^the Kubernetes API server at https:\/\/10\.0\.0\.1:6443 is unreachable/);
    expectNoSecrets(error);
  });

  it('maps a watch failure (statusCode, no body) by its status', () => {
    expect(toKubeError(Object.assign(new Error('Forbidden'), { statusCode: 403 }), context).code).toBe('forbidden');
  });

  it('passes an AppError through and calls anything else internal', () => {
    const own = new AppError('bad_input', 'nope');
    expect(toKubeError(own, context)).toBe(own);
    expect(toKubeError(new RangeError('bug'), context)).toMatchObject({ code: 'internal', retryable: false });
  });

  it('never copies the response headers the client puts into its message', () => {
    const raw = apiError(500, 'boom');
    expect(raw.message).toContain('sekrit-token');
    expectNoSecrets(toKubeError(raw, context));
  });
});

describe('describeForbidden', () => {
  it('names cluster-scoped and grouped resources', () => {
    expect(describeForbidden('User "u" cannot list resource "namespaces" in API group "" at the cluster scope')).toBe(
      "the bot's Kubernetes identity may not list namespaces at cluster scope (its RBAC lacks that permission)",
    );
    expect(
      describeForbidden(
        'User "u" cannot list resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "prod"',
      ),
    ).toContain('may not list horizontalpodautoscalers.autoscaling in namespace prod');
  });

  it('falls back to the API message when it cannot parse it', () => {
    expect(describeForbidden('denied by webhook')).toContain('denied by webhook');
  });
});

describe('serverOrigin', () => {
  it('drops user info, path and query', () => {
    expect(serverOrigin(server)).toBe('https://10.0.0.1:6443');
    expect(serverOrigin('not a url')).toBe('the configured address');
  });
});
