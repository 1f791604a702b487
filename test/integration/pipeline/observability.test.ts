// /healthz, /readyz and /metrics on every role: the gateway through Bolt, the
// worker and the watcher through a server of their own; readiness follows Redis
// and the API server; metrics count what went through.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { freePort, waitUntil } from '../../support/cluster/processes.ts';
import { useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('obs');
jest.setTimeout(60_000);

let emu: SlackEmulator;
const bots: TestBot[] = [];

beforeAll(async () => {
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
});

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  await emu?.stop();
});

const get = async (port: number, path: string): Promise<{ status: number; body: string }> => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};

describe('health and metrics', () => {
  it('serves all three on the gateway, and counts a command and its job', async () => {
    const bot = await startTestBot({ emu, cluster: ns.cluster });
    bots.push(bot);
    expect((await get(bot.port, '/healthz')).status).toBe(200);
    // Ready once every connection is up (a moment after start).
    await waitUntil(async () => (await get(bot.port, '/readyz')).status === 200, {
      what: '/readyz',
      timeoutMs: 15_000,
    });
    const since = emu.calls.length;
    await emu
      .driver(bot.eventsUrl)
      .slashCommand('/k8s', `get pods -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    await waitForJob(emu, 'get pods', { since });
    const metrics = (await get(bot.port, '/metrics')).body;
    expect(metrics).toMatch(/coxswain_commands_total\{verb="get",outcome="queued"\} [1-9]/u);
    expect(metrics).toMatch(/coxswain_commands_total\{verb="get",outcome="succeeded"\} [1-9]/u);
    expect(metrics).toMatch(/coxswain_job_duration_seconds_count\{command="get",outcome="succeeded"\} [1-9]/u);
    expect(metrics).toContain('coxswain_queue_jobs{');
    expect(metrics).toContain('coxswain_process_resident_memory_bytes');
  });

  it('serves them on a worker alone, ready only while the API server answers', async () => {
    const port = await freePort();
    const worker = await startTestBot({ emu, cluster: ns.cluster, role: 'worker', env: { PORT: String(port) } });
    bots.push(worker);
    expect((await get(port, '/healthz')).status).toBe(200);
    await waitUntil(async () => (await get(port, '/readyz')).status === 200, { what: '/readyz', timeoutMs: 15_000 });
    expect((await get(port, '/metrics')).body).toContain('coxswain_kube_api_errors_total');

    // The same worker with a kubeconfig whose API server is a closed port: alive, not ready.
    const dead = join(ns.cluster.dir, 'dead-apiserver.kubeconfig');
    const closed = await freePort();
    await writeFile(
      dead,
      (await readFile(ns.cluster.botKubeconfig, 'utf8')).replace(
        /server: https:\/\/127\.0\.0\.1:\d+/u,
        `server: https://127.0.0.1:${closed}`,
      ),
    );
    const lostPort = await freePort();
    const lost = await startTestBot({
      emu,
      cluster: { ...ns.cluster, botKubeconfig: dead },
      role: 'worker',
      env: { PORT: String(lostPort) },
    });
    bots.push(lost);
    expect((await get(lostPort, '/healthz')).status).toBe(200);
    // Redis comes up; the API server never does, and /readyz says which.
    await waitUntil(
      async () => (await get(lostPort, '/readyz')).body === 'not ready: kubernetes API (worker) unreachable\n',
      { what: '/readyz to name the API server', timeoutMs: 15_000 },
    );
  });
});
