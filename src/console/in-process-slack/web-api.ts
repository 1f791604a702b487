import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail } from './api-method.ts';
import type { ApiMethod, SlackState } from './api-method.ts';
import { parseApiRequest } from './api-request.ts';
import type { ApiRequest } from './api-request.ts';
import type { CallRecorder } from './call-recorder.ts';
import { sendJson } from './http-reply.ts';
import type { ApiResult, CallInterceptor } from './slack-types.ts';
import type { BotIdentity } from './workspace.ts';

/** What the Web API endpoint needs from the in-process Slack. */
export interface WebApiOptions<F> {
  readonly state: SlackState;
  readonly methods: Readonly<Record<string, ApiMethod>>;
  /** Bot tokens (`xoxb-…`): every method but the app-level ones. */
  readonly tokens: ReadonlyMap<string, BotIdentity>;
  /** App-level tokens (`xapp-…`): only the methods in `appTokenMethods`. */
  readonly appTokens: ReadonlyMap<string, BotIdentity>;
  /** Methods that take an app-level token only, such as `apps.connections.open`. */
  readonly appTokenMethods: ReadonlySet<string>;
  readonly recorder: CallRecorder<F>;
  /** May answer a call instead of its method. Default: none. */
  readonly intercept?: CallInterceptor<F> | undefined;
}

/**
 * Serves `POST|GET /api/<method>` with Slack's semantics: always HTTP 200 with `{ok,…}` (429 only for rate limits),
 * `unknown_method` before auth, then `not_authed` / `invalid_auth`, then the method's own checks.
 */
export class WebApi<F> {
  readonly #options: WebApiOptions<F>;

  constructor(options: WebApiOptions<F>) {
    this.#options = options;
  }

  /** Handles one request for `method`. */
  async handle(req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams): Promise<void> {
    const request = await parseApiRequest(req, query);
    const { intercept, recorder, state } = this.#options;
    const base = { method, params: request.params, token: request.token, headers: req.headers };
    const intercepted = await intercept?.({ method, params: request.params });
    if (intercepted) {
      recorder.record({
        ...base,
        status: intercepted.status,
        result: intercepted.result,
        time: state.clock.now(),
        fault: intercepted.fault,
      });
      intercepted.reply(res);
      return;
    }
    const result = this.#dispatch(method, request);
    recorder.record({ ...base, status: 200, result, time: state.clock.now() });
    sendJson(res, 200, result);
  }

  #dispatch(method: string, request: ApiRequest): ApiResult {
    const { methods, state } = this.#options;
    const handler = methods[method];
    if (!handler) return state.strict ? fail('unknown_method') : { ok: true };
    const identity = this.#authorize(method, request.token);
    if (typeof identity === 'string') return fail(identity);
    if (request.parseError !== undefined) return fail(request.parseError);
    return handler({ method, params: request.params, identity, state });
  }

  /** The caller's identity, or Slack's error: a known token of the wrong kind gets `not_allowed_token_type`. */
  #authorize(method: string, token: string | undefined): BotIdentity | string {
    if (token === undefined) return 'not_authed';
    const { tokens, appTokens, appTokenMethods } = this.#options;
    const wantsAppToken = appTokenMethods.has(method);
    const identity = (wantsAppToken ? appTokens : tokens).get(token);
    if (identity) return identity;
    return (wantsAppToken ? tokens : appTokens).has(token) ? 'not_allowed_token_type' : 'invalid_auth';
  }
}
