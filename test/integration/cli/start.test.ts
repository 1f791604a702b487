// `coxswain start` as a process, the way a container runs it: configuration from
// the environment, one clear line when it is wrong, and a graceful SIGTERM that
// lets the running job finish.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { freePort, waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator } from '../../support/slack-emulator/index.ts';
import { callText as text } from '../../support/slack-flow.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ns = useTestNamespace('cli');
jest.setTimeout(60_000);

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
}

function startProcess(env: Record<string, string>, args: string[] = ['start']): Run {
  const child = spawn(process.execPath, [join(repo, 'src', 'main.ts'), ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { child, stdout: [], stderr: [] };
  child.stdout?.on('data', (d: Buffer) => run.stdout.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => run.stderr.push(d.toString()));
  return run;
}

describe('coxswain check-policy', () => {
  it('explains a valid policy and exits 0', async () => {
    const run = startProcess({}, ['check-policy', join(repo, 'deploy', 'examples', 'policy.yaml')]);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(run.stdout.join('')).toContain('valid — 4 roles, 4 bindings');
  });

  it('lists every problem with file and line, and exits 1', async () => {
    const file = join(ns.cluster.dir, `broken-${randomBytes(3).toString('hex')}.yaml`);
    await writeFile(
      file,
      'roles:\n  viewer: [{ verbs: [get, peek] }]\nbindings:\n  - { role: viewer, users: [alice] }\n',
    );
    const run = startProcess({}, ['check-policy', file]);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(run.stderr.join('')).toContain(`${file}:2: roles.viewer[0].verbs[1]`);
    expect(run.stderr.join('')).toContain(`${file}:4: bindings[0].users[0]: is a Slack user ID`);
  });
});

describe('coxswain start', () => {
  it('stops at once with one line naming each bad variable, and exit code 78', async () => {
    const run = startProcess({ SLACK_BOT_TOKEN: 'xoxp-not-a-bot-token', PORT: 'http' });
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(78);
    const err = run.stderr.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('SLACK_SIGNING_SECRET is missing');
    expect(err).toContain('SLACK_BOT_TOKEN must be a bot token');
    expect(err).toContain('PORT must be a port number');
    expect(err).not.toContain('xoxp-not-a-bot-token');
  });

  it('refuses a policy file that does not validate, naming its line', async () => {
    const file = join(ns.cluster.dir, `bad-policy-${randomBytes(3).toString('hex')}.yaml`);
    await writeFile(file, 'roles:\n  viewer: [{ verbs: [get] }]\nbindings:\n  - { role: viewr, users: ["*"] }\n');
    const run = startProcess({
      SLACK_SIGNING_SECRET: 's',
      SLACK_BOT_TOKEN: 'xoxb-1',
      REDIS_URL: 'redis://127.0.0.1:1',
      COXSWAIN_POLICY: file,
    });
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(78);
    expect(run.stderr.join('')).toContain(
      `${file}:4: bindings[0].role: names role "viewr", which is not defined under roles`,
    );
  });

  it('refuses an unknown role', async () => {
    const run = startProcess({}, ['start', '--role', 'janitor']);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(78);
    expect(run.stderr.join('')).toContain('--role must be one of gateway, worker, watcher, all');
  });

  describe('running', () => {
    let emu: SlackEmulator;
    let run: Run;
    let port: number;

    beforeAll(async () => {
      emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
      port = await freePort();
      await ns.apps.createNamespacedDeployment({
        namespace: ns.name,
        body: makeDeployment('web', 'ghcr.io/acme/web:1.0', {
          replicas: 2,
          podAnnotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '1500ms' },
        }),
      });
      run = startProcess({
        SLACK_SIGNING_SECRET: emu.signingSecret,
        SLACK_BOT_TOKEN: emu.botToken,
        SLACK_API_URL: emu.apiUrl,
        PORT: String(port),
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        KUBECONFIG: ns.cluster.botKubeconfig,
        COXSWAIN_CLUSTER: `cli-${randomBytes(3).toString('hex')}`,
        COXSWAIN_POLICY: join(repo, 'test', 'support', 'policies', 'everyone-everything.yaml'),
        // The most talkative level: what it prints must still hold no secret.
        COXSWAIN_LOG_LEVEL: 'debug',
      });
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, {
        what: 'coxswain to be ready',
        timeoutMs: 20_000,
      });
    });
    afterAll(async () => {
      if (run?.child.exitCode === null) run.child.kill('SIGKILL');
      await emu?.stop();
    });

    it('answers /healthz, and logs JSON lines without secrets', async () => {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const lines = run.stdout.join('').trim().split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect(run.stdout.join('')).not.toContain(emu.botToken);
    });

    it('lets the running job finish on SIGTERM, then exits 0', async () => {
      const driver = emu.driver(`http://127.0.0.1:${port}/slack/events`);
      await driver.slashCommand('/k8s', `deploy web ghcr.io/acme/web:1.1 -n ${ns.name}`, {
        user: 'U0ALICE',
        channel: 'C0OPS',
      });
      const root = await emu.waitFor((c) => c.method === 'chat.postMessage' && text(c).includes('deploy web'));
      await emu.waitFor(
        (c) => c.method === 'chat.update' && c.params['ts'] === root.result['ts'] && text(c).includes('running'),
      );
      run.child.kill('SIGTERM');
      const [code] = (await once(run.child, 'exit')) as [number];
      expect(code).toBe(0);
      const final = emu
        .callsTo('chat.update')
        .filter((c) => c.params['ts'] === root.result['ts'])
        .at(-1);
      expect(text(final ?? root)).toMatch(/^✅/u);
    });

    it('printed no secret anywhere during that whole run, even at debug level', async () => {
      const everything = `${run.stdout.join('')}\n${run.stderr.join('')}`;
      const serviceAccountToken =
        /token: (\S+)/u.exec(await readFile(ns.cluster.botKubeconfig, 'utf8'))?.[1] ?? 'missing';
      expect(everything.length).toBeGreaterThan(1000);
      for (const secret of [emu.botToken, emu.signingSecret, serviceAccountToken])
        expect(everything).not.toContain(secret);
    });
  });
});
