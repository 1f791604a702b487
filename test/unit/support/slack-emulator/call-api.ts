import type { ApiResult } from '../../../support/slack-emulator/index.ts';

/** A raw Web API answer: status and parsed body. */
export interface RawAnswer {
  readonly status: number;
  readonly body: ApiResult;
}

/**
 * Posts form-encoded params to the emulator the way WebClient does (nested values JSON-encoded), with a Bearer token.
 */
export async function callApi(
  apiUrl: string,
  method: string,
  params: Record<string, unknown>,
  token: string | null = 'xoxb-test',
): Promise<RawAnswer> {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${apiUrl}${method}`, { method: 'POST', headers, body: form.toString() });
  return { status: response.status, body: (await response.json()) as ApiResult };
}
