// No secret reaches Slack, whatever path the text took: a pod's log lines shown by
// /k8s logs, the previous logs and events of a failed-pod alert — the kinds of
// credential the review found leaking (database URLs, bearer JWTs, AWS and
// payment keys, Basic auth, `redis://:pw@`, `pwd=`, a private key spread over
// lines). Logs can also be kept to whoever asked, by policy.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { servePodLogs, useTestNamespace } from '../../support/kube.ts';
import type { RecordedCall } from '../../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('redact');
const quiet = useTestNamespace('redact-quiet');
jest.setTimeout(90_000);
let g: GuardedBot;

const leaking = [
  'connecting to postgres://app:S3cretPw1@db.prod:5432/orders',
  'GET /api -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.K3yS3cr3tSignature"',
  'aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY',
  'stripe: charging with sk_live_51H8abcdefGHIJKLmnopQRSTuvwx',
  'cache at redis://:R3disPw9@redis:6379/0',
  'upstream sent Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l',
  'Server=db;Database=orders;User Id=sa;pwd=Hunter2Pwd;',
  'cloning with ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAPEMBODYLINEONE75z1',
  'PEMBODYLINETWOxyzQQ==',
  '-----END RSA PRIVATE KEY-----',
  'panic: connection refused',
];
const secrets = [
  'S3cretPw1',
  'K3yS3cr3tSignature',
  'eyJzdWIiOiJhbGljZSJ9',
  'wJalrXUtnFEMIK7',
  'AKIAIOSFODNN7EXAMPLE',
  'sk_live_51H8abcdef',
  'R3disPw9',
  'YWxhZGRpbjpvcGVuc2VzYW1l',
  'Hunter2Pwd',
  'ghp_abcdefghij',
  'PEMBODYLINEONE',
  'PEMBODYLINETWO',
  'T0kenInEvent',
];

/** Every secret that appears anywhere in these Slack calls (params and results). */
const leaked = (calls: readonly RecordedCall[]): string[] =>
  secrets.filter((s) => calls.some((c) => JSON.stringify(c).includes(s)));

beforeAll(async () => {
  g = await startGuardedBot({
    ns,
    policy: `
roles:
  ops: [{ verbs: [get, logs] }]
bindings:
  - { role: ops, users: ["*"] }
logs:
  requesterOnly: [${quiet.name}]
alerts:
  routes:
    - { namespaces: [${ns.name}], channel: C0OPS }
  recoverAfter: 1h
`,
  });
});
afterAll(async () => {
  await g?.stop();
});

async function runningPod(namespace: string, name: string): Promise<void> {
  await ns.core.createNamespacedPod({
    namespace,
    body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.0' }] } },
  });
}

describe('redaction on every path to Slack', () => {
  it('/k8s logs shows the lines with every credential replaced, the private key whole', async () => {
    await servePodLogs(ns, 'leaky', { current: leaking });
    await runningPod(ns.name, 'leaky');
    const since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `logs leaky -n ${ns.name}`)).toBe('');
    const job = await waitForJob(g.emu, 'logs of leaky', { since });
    expect(job.finalText).toMatch(/^✅/u);
    expect(job.threadText).toContain('panic: connection refused');
    expect(job.threadText).toContain('postgres://app:[redacted]@db.prod:5432/orders');
    expect(job.threadText).toContain('[redacted private key]');
    expect(leaked(g.emu.calls.slice(since))).toEqual([]);
  });

  it("a failed-pod alert shows the crashed container's logs and events redacted", async () => {
    await servePodLogs(ns, 'crashy', { current: ['starting'], previous: leaking });
    const since = g.emu.calls.length;
    await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'crashy' },
        spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1-crashloop' }] },
      },
    });
    const pod = await ns.core.readNamespacedPod({ name: 'crashy', namespace: ns.name });
    await ns.core.createNamespacedEvent({
      namespace: ns.name,
      body: {
        metadata: { name: `crashy.${Date.now()}` },
        type: 'Warning',
        reason: 'Failed',
        message: 'pulling config with api_key=T0kenInEvent failed',
        involvedObject: { kind: 'Pod', name: 'crashy', namespace: ns.name, uid: pod.metadata?.uid ?? '' },
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        count: 1,
      },
    });
    const alert = await g.emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.status === 200 &&
        callText(c).includes('CrashLoopBackOff') &&
        callText(c).includes('crashy'),
      { since, timeoutMs: 30_000 },
    );
    expect(JSON.stringify(alert.params['blocks'])).toContain('panic: connection refused');
    // The edits that follow (events found later, more crashes) are held to the same rule.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(leaked(g.emu.calls.slice(since))).toEqual([]);
  });

  it('keeps a pathological log line from holding the worker: 64 KiB of a-a-a-… is shown cut, the job ends', async () => {
    await servePodLogs(ns, 'noisy', { current: ['a-'.repeat(32 * 1024), 'eyJ'.repeat(20_000), 'done'] });
    await runningPod(ns.name, 'noisy');
    const since = g.emu.calls.length;
    await g.say('U0ALICE', `logs noisy -n ${ns.name}`);
    const job = await waitForJob(g.emu, 'logs of noisy', { since });
    expect(job.finalText).toMatch(/^✅/u);
    expect(job.threadText).toContain('done');
  });

  it('shows the logs only to whoever asked where the policy says so, and tells the thread', async () => {
    await servePodLogs(quiet, 'private', { current: ['order 42 shipped to alice@example.com'] });
    await runningPod(quiet.name, 'private');
    const since = g.emu.calls.length;
    await g.say('U0ALICE', `logs private -n ${quiet.name}`);
    const job = await waitForJob(g.emu, 'logs of private', { since });
    expect(job.finalText).toMatch(/^✅/u);
    expect(job.threadText).toContain('The logs are shown only to <@U0ALICE>');
    expect(job.threadText).not.toContain('alice@example.com');
    const ephemeral = g.emu.calls.slice(since).filter((c) => c.method === 'chat.postEphemeral');
    expect(ephemeral).toHaveLength(1);
    expect(ephemeral[0]?.params['user']).toBe('U0ALICE');
    expect(JSON.stringify(ephemeral[0]?.params['blocks'])).toContain('alice@example.com');
  });
});
