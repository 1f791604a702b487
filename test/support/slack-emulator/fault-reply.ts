import type { ServerResponse } from 'node:http';
import { sendJson } from '../../../src/console/in-process-slack/http-reply.ts';
import type { ApiResult, CallInterceptor } from '../../../src/console/in-process-slack/slack-types.ts';
import type { Fault, FaultInjector } from './fault-injector.ts';

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
  res.writeHead(fault.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The in-process Slack's interceptor for the emulator's faults: the method's latency first (`delay`, which the
 * emulator cancels on stop), then its scripted fault if any, recorded as the call's `fault` and answered as above.
 */
export function faultInterceptor(faults: FaultInjector, delay: (ms: number) => Promise<void>): CallInterceptor<Fault> {
  return async ({ method, params }) => {
    const latency = faults.delayFor(method);
    if (latency > 0) await delay(latency);
    const fault = faults.take(method, params);
    return fault ? { ...faultOutcome(fault), fault, reply: (res) => sendFault(res, fault) } : undefined;
  };
}
