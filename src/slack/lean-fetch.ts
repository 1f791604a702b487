// The transport of every Web API client (WebClientOptions.fetch). @slack/web-api
// POSTs each call as a form-encoded string and reads back a small JSON body.
// Through the global fetch, that one call builds request and response objects,
// WHATWG streams for both bodies and their controllers: the largest single
// allocator per /k8s at the gateway (it posts a thread root for each), about two
// thirds of what outlived a young-generation GC, and a fifth of its CPU
// (bench/RESULTS.md, section 1). undici's request() sends the same request with
// none of that; the answer is handed back as a real Response, so the client
// sees what fetch would give it. Anything but a string body (file uploads) still
// goes through the global fetch.
import { request } from 'undici';

/** Response headers as undici gives them, folded the way fetch folds them. */
function foldHeaders(raw: Record<string, string | string[] | undefined>): [string, string][] {
  return Object.entries(raw).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
  );
}

/** Request headers in the form undici takes (a plain object stays as it is). */
function plainHeaders(headers: RequestInit['headers']): Record<string, string | undefined> | undefined {
  if (headers === undefined || headers instanceof Headers || Array.isArray(headers))
    return headers === undefined ? undefined : Object.fromEntries(new Headers(headers));
  return headers;
}

const followsRedirects = (init: RequestInit): boolean => init.redirect === undefined || init.redirect === 'follow';

/** A response status that carries no body (the Response constructor refuses one). */
const nullBodyStatus = (status: number): boolean => status === 204 || status === 205 || status === 304;

/**
 * A fetch for string-bodied requests that do not follow redirects (every Web API
 * call: the client asks for `redirect: 'error'`, and a 3xx then reaches it as a
 * non-200 status, an error either way), the global fetch for everything else.
 */
export async function leanFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  if (input instanceof Request || typeof init.body !== 'string' || followsRedirects(init)) return fetch(input, init);
  const answer = await request(input, {
    method: (init.method ?? 'POST') as 'POST',
    headers: plainHeaders(init.headers),
    body: init.body,
    ...(init.signal ? { signal: init.signal } : {}),
  });
  // Read whole: Web API answers are small JSON, and a null-body status cannot carry one.
  const text = await answer.body.text();
  return new Response(nullBodyStatus(answer.statusCode) ? null : text, {
    status: answer.statusCode,
    headers: foldHeaders(answer.headers),
  });
}
