// leanFetch as the transport of a real WebClient, against a plain HTTP server on
// 127.0.0.1 (no emulator, no Redis): what the server receives, and what the
// client makes of an answer — a result, a rate limit, an HTTP error.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIRateLimitedError } from '@slack/web-api';
import { leanFetch } from '../../../src/slack/lean-fetch.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (res: ServerResponse) => void = (res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (): WebClient =>
  new WebClient('xoxb-test', {
    slackApiUrl: base,
    fetch: leanFetch,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
  });

describe('leanFetch', () => {
  it('sends a Web API call as fetch would and hands back its JSON', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ ok: true, ts: '1.000100', channel: 'C0OPS' }));
    };
    const posted = await client().chat.postMessage({
      channel: 'C0OPS',
      text: 'queued',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'é & ü' } }],
    });
    expect(posted).toMatchObject({ ok: true, ts: '1.000100', channel: 'C0OPS' });
    const request = seen.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/api/chat.postMessage');
    expect(request?.headers['authorization']).toBe('Bearer xoxb-test');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(request?.body);
    expect(form.get('channel')).toBe('C0OPS');
    expect(JSON.parse(form.get('blocks') ?? '[]')).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'é & ü' } },
    ]);
  });

  it('passes a 429 and its Retry-After through, so the client backs off', async () => {
    answer = (res) => {
      res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end('{"ok":false,"error":"ratelimited"}');
    };
    const error = (await client()
      .chat.postMessage({ channel: 'C0OPS', text: 'x' })
      .catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(error.code).toBe(ErrorCode.RateLimitedError);
    expect(error.retryAfter).toBe(7);
  });

  it('passes any other status through as an HTTP error with its body', async () => {
    answer = (res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down for maintenance');
    };
    const error = (await client()
      .chat.postMessage({ channel: 'C0OPS', text: 'x' })
      .catch((e: unknown) => e)) as WebAPIHTTPError;
    expect(error.code).toBe(ErrorCode.HTTPError);
    expect(error.statusCode).toBe(503);
    expect(error.body).toBe('down for maintenance');
  });

  it('leaves requests that follow redirects or carry no string body to the global fetch', async () => {
    answer = (res) => {
      res.writeHead(204);
      res.end();
    };
    const response = await leanFetch(`${base}ping`);
    expect(response.status).toBe(204);
    expect(seen.at(-1)?.method).toBe('GET');
  });

  it('answers a null-body status without a body', async () => {
    answer = (res) => {
      res.writeHead(204);
      res.end();
    };
    const response = await leanFetch(`${base}x`, {
      method: 'POST',
      body: 'a=1',
      redirect: 'error',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });
});
