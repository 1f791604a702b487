// The load generator of bench:ack as a process of its own, standing in for
// Slack: it signs and POSTs slash commands open-loop and times each answer, with
// nothing else on its event loop (the emulator stays in the parent).
// Input: one JSON argument; output: one JSON line with the latencies.
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { signSlackRequest } from '../test/support/slack-emulator/index.ts';

interface ClientOptions {
  readonly url: string;
  readonly secret: string;
  readonly rate: number;
  readonly seconds: number;
  readonly namespace: string;
}

const o = JSON.parse(process.argv[2] ?? '{}') as ClientOptions;
const target = new URL(o.url);

interface Sent {
  readonly fromSchedule: number;
  readonly ok: boolean;
  readonly queued: boolean;
  /** How late this process sent it (its own delay). */ readonly sendLag: number;
}

function post(seq: number, scheduledAt: number): Promise<Sent> {
  const sendLag = performance.now() - scheduledAt;
  const body = new URLSearchParams({
    token: 'x',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0OPS',
    channel_name: 'ops',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/k8s',
    text: `get pods -n ${o.namespace} -l seq=${seq}`,
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: 'http://127.0.0.1:9/hooks/unused',
    trigger_id: `${seq}.${Date.now()}.bench`,
  }).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest({ signingSecret: o.secret, timestamp, body }),
    'content-length': Buffer.byteLength(body),
  };
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers,
        agent: false,
        timeout: 3000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => {
          const fromSchedule = performance.now() - scheduledAt;
          resolve({ fromSchedule, ok: res.statusCode === 200 && fromSchedule <= 3000, queued: text === '', sendLag });
        });
      },
    );
    req.on('error', () =>
      resolve({ fromSchedule: performance.now() - scheduledAt, ok: false, queued: false, sendLag }),
    );
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

const total = Math.round(o.rate * o.seconds);
const interval = 1000 / o.rate;
const t0 = performance.now() + 50;
const sent: Promise<Sent>[] = [];
while (sent.length < total && performance.now() < t0 + o.seconds * 1000 + 10_000) {
  const wait = t0 + sent.length * interval - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, Math.floor(wait)));
  while (sent.length < total && t0 + sent.length * interval <= performance.now())
    sent.push(post(sent.length, t0 + sent.length * interval));
}
const samples = await Promise.all(sent);
// BENCH_ACK_SLOW=<file>: every ack over 10 ms as [scheduled send, epoch ms; latency ms; how late this process sent it,
// ms], to line up with BENCH_GATEWAY_TRACE.
const slowFile = process.env['BENCH_ACK_SLOW'];
if (slowFile)
  writeFileSync(
    slowFile,
    JSON.stringify(
      samples.flatMap((s, i) =>
        s.fromSchedule > 10
          ? [
              [
                Math.round(performance.timeOrigin + t0 + i * interval),
                Number(s.fromSchedule.toFixed(1)),
                Number(s.sendLag.toFixed(1)),
              ],
            ]
          : [],
      ),
    ),
  );
process.stdout.write(
  `${JSON.stringify({ latencies: samples.map((s) => s.fromSchedule), errors: samples.filter((s) => !s.ok).length, notQueued: samples.filter((s) => s.ok && !s.queued).length, sendSeconds: (performance.now() - t0) / 1000 })}\n`,
);
