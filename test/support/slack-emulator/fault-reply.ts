import type { ServerResponse } from 'node:http';
import type { Fault } from './emulator-types.ts';
import type { ApiResult } from './emulator-types.ts';

/** Writes a JSON answer with the content type Slack uses. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** What a scripted fault answers, for the call record (a dropped connection answers nothing: status 0). */
export function faultOutcome(fault: Fault): { status: number; result: ApiResult } {
  if ('dropConnection' in fault) return { status: 0, result: { ok: false, error: 'connection_dropped' } };
  if ('ok' in fault) return { status: 200, result: { ok: false, error: fault.error } };
  if ('retryAfter' in fault) return { status: 429, result: { ok: false, error: 'ratelimited' } };
  return { status: fault.status, result: { ok: false, error: `http_${fault.status}` } };
}

/** Answers with a scripted fault exactly as Slack (or a broken network) would. */
export function sendFault(res: ServerResponse, fault: Fault): void {
  if ('dropConnection' in fault) {
    res.socket?.destroy();
    return;
  }
  if ('ok' in fault) {
    sendJson(res, 200, { ok: false, error: fault.error });
    return;
  }
  if ('retryAfter' in fault) {
    sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
    return;
  }
  const body = fault.body ?? `${fault.status} emulated failure`;
  res.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
