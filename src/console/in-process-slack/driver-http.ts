import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** How the bot answered a request from "Slack", and how long it took. */
export interface DriverResponse {
  /** HTTP status; 0 when the bot did not answer in time or the connection failed. */
  readonly status: number;
  readonly body: string;
  /** Real milliseconds from sending to the end of the answer (Slack's 3-second budget). */
  readonly ms: number;
  /** What Slack would show: `operation_timeout` after 3000 ms, `connection_failed` if nothing listens. */
  readonly error?: 'operation_timeout' | 'connection_failed';
}

/** One signed POST. */
export interface RawPost {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/**
 * POSTs exact bytes with exact headers (no keep-alive, nothing added by a fetch implementation), aborting after the
 * timeout the way Slack gives up on a slow app.
 */
export function postRaw(post: RawPost): Promise<DriverResponse> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let timedOut = false;
    const req = request(
      post.url,
      {
        method: 'POST',
        agent: false,
        headers: { ...post.headers, 'Content-Length': String(Buffer.byteLength(post.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: elapsed() });
        });
        res.on('error', () => undefined);
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, post.timeoutMs);
    req.on('error', () => {
      clearTimeout(timer);
      resolve({ status: 0, body: '', ms: elapsed(), error: timedOut ? 'operation_timeout' : 'connection_failed' });
    });
    req.end(post.body);
  });
}
