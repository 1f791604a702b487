// The load generator of bench:ack as a process of its own, standing in for
// Slack: it signs and POSTs slash commands open-loop and times each answer, with
// nothing else on its event loop (the emulator stays in the parent).
// Input: one JSON argument; output: one JSON line with the latencies. By default every request is
// `get pods -n <namespace> -l seq=<n>` from one user in one channel (bench:ack); with `commands`, the given texts,
// users and channels in that order (bench:instant), and the answer says when each was acked and its trigger_id.
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { signSlackRequest } from '../test/support/slack-emulator/index.ts';

/** One slash command to send instead of the default `get pods`. */
export interface ClientCommand {
  readonly text: string;
  readonly user: string;
  readonly userName: string;
  readonly channel: string;
  readonly channelName: string;
}

export interface ClientOptions {
  readonly url: string;
  readonly secret: string;
  readonly rate: number;
  /** How long to send at `rate`; with `commands`, as long as they last. */
  readonly seconds: number;
  readonly namespace: string;
  readonly commands?: readonly ClientCommand[];
}

/** The client's one line of output. */
export interface ClientReport {
  /** From each request's scheduled send to its whole answer, ms. */
  readonly latencies: number[];
  /** Not 200 within Slack's 3 s. */
  readonly errors: number;
  /** Answered 200 with a body (an ephemeral answer: not queued). */
  readonly notQueued: number;
  readonly sendSeconds: number;
  /** How late this process sent each request, ms (its own delay, part of the latency). */
  readonly sendLags: number[];
  /** When each answer came (epoch ms), its status, body (cut at 300 characters) and trigger_id. */
  readonly answers: {
    readonly at: number;
    readonly status: number;
    readonly body: string;
    readonly triggerId: string;
  }[];
}

const o = JSON.parse(process.argv[2] ?? '{}') as ClientOptions;
const target = new URL(o.url);

interface Sent {
  readonly fromSchedule: number;
  readonly ok: boolean;
  readonly queued: boolean;
  /** How late this process sent it (its own delay). */ readonly sendLag: number;
  readonly at: number;
  readonly status: number;
  readonly body: string;
  readonly triggerId: string;
}

const defaultCommand = (seq: number): ClientCommand => ({
  text: `get pods -n ${o.namespace} -l seq=${seq}`,
  user: 'U0ALICE',
  userName: 'alice',
  channel: 'C0OPS',
  channelName: 'ops',
});

function post(seq: number, scheduledAt: number): Promise<Sent> {
  const sendLag = performance.now() - scheduledAt;
  const command = o.commands?.[seq] ?? defaultCommand(seq);
  const triggerId = `${seq}.${Date.now()}.bench`;
  const body = new URLSearchParams({
    token: 'x',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: command.channel,
    channel_name: command.channelName,
    user_id: command.user,
    user_name: command.userName,
    command: '/k8s',
    text: command.text,
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: 'http://127.0.0.1:9/hooks/unused',
    trigger_id: triggerId,
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
          const status = res.statusCode ?? 0;
          resolve({
            fromSchedule,
            ok: status === 200 && fromSchedule <= 3000,
            queued: text === '',
            sendLag,
            at: Date.now(),
            status,
            body: text.slice(0, 300),
            triggerId,
          });
        });
      },
    );
    req.on('error', () =>
      resolve({
        fromSchedule: performance.now() - scheduledAt,
        ok: false,
        queued: false,
        sendLag,
        at: Date.now(),
        status: 0,
        body: '',
        triggerId,
      }),
    );
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

const total = o.commands?.length ?? Math.round(o.rate * o.seconds);
const interval = 1000 / o.rate;
const t0 = performance.now() + 50;
const sent: Promise<Sent>[] = [];
while (sent.length < total && performance.now() < t0 + (total / o.rate) * 1000 + 10_000) {
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
const report: ClientReport = {
  latencies: samples.map((s) => s.fromSchedule),
  errors: samples.filter((s) => !s.ok).length,
  notQueued: samples.filter((s) => s.ok && !s.queued).length,
  sendSeconds: (performance.now() - t0) / 1000,
  sendLags: samples.map((s) => s.sendLag),
  answers: samples.map((s) => ({ at: s.at, status: s.status, body: s.body, triggerId: s.triggerId })),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
