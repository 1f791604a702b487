// No Docker engine runs here, so the Dockerfile is proven by doing what it does:
// each stage's COPY and RUN steps in a scratch folder, then the runtime stage's
// files (production dependencies and sources only) started as the image would
// start them, against the test cluster, Redis and the Slack emulator.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitUntil } from '../../support/cluster/processes.ts';
import { imageEnv } from '../../support/image-env.ts';
import { testCluster } from '../../support/kube.ts';
import { SlackEmulator } from '../../support/slack-emulator/index.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const node = process.execPath;
jest.setTimeout(600_000);

interface Stage {
  readonly name: string;
  readonly copies: string[][];
  readonly runs: string[];
}

/** The Dockerfile's stages with their COPY sources/targets and RUN commands, in order. */
function stagesOf(dockerfile: string): Stage[] {
  const stages: Stage[] = [];
  for (const raw of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    const from = /^FROM \S+(?: AS (\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? 'runtime', copies: [], runs: [] });
    const stage = stages.at(-1);
    if (stage && line.startsWith('COPY ')) stage.copies.push(line.slice(5).split(/\s+/));
    if (stage && line.startsWith('RUN ')) stage.runs.push(line.slice(4));
  }
  return stages;
}

async function copyInto(dir: string, args: readonly string[], from: (source: string) => string): Promise<void> {
  const sources = args.slice(0, -1);
  const target = args.at(-1) ?? '.';
  for (const source of sources)
    await cp(from(source), join(dir, target.endsWith('/') || sources.length > 1 ? join(target, source) : target), {
      recursive: true,
    });
}

/** npm as the machine has it, but never cleaning the shared cache (`npm cache clean` is for the image's layer). */
async function runStep(dir: string, command: string): Promise<void> {
  for (const part of command
    .split('&&')
    .map((p) => p.trim())
    .filter((p) => !p.startsWith('npm cache clean'))) {
    // `command > file`: the shell's redirection of stdout, the one the Dockerfile uses.
    const [command = '', redirect] = part.split(/\s+>\s+/u);
    const [tool = '', ...args] = command.split(/\s+/);
    const bin = tool === 'npx' ? join(dir, 'node_modules', '.bin', args.shift() ?? '') : tool;
    const { stdout } = await run(bin, args, {
      cwd: dir,
      env: { ...process.env, PATH: `${join(root, 'node_modules', 'node', 'bin')}:${process.env['PATH'] ?? ''}` },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (redirect) await writeFile(join(dir, redirect), stdout);
  }
}

/**
 * The deps stage run, then the runtime stage's files assembled as its COPY lines say (the build stage ran in its own
 * test).
 */
async function assembleRuntime(): Promise<string> {
  const deps = join(work, 'deps');
  for (const copy of stages[1]?.copies ?? []) await copyInto(deps, copy, (s) => join(root, s));
  for (const step of stages[1]?.runs ?? []) await runStep(deps, step);
  const app = join(work, 'app');
  for (const copy of stages[2]?.copies ?? []) {
    const stage = /^--from=(\S+)$/u.exec(copy[0] ?? '')?.[1];
    await copyInto(app, stage ? copy.slice(1) : copy, (s) =>
      stage ? join(work, stage, s.replace(/^\/app\//u, '')) : join(root, s),
    );
  }
  return app;
}

/** The script the image's ENTRYPOINT runs, e.g. src/main.js. */
async function entrypointScript(): Promise<string> {
  const entry = /^ENTRYPOINT (\[.*\])$/mu.exec(await readFile(join(root, 'Dockerfile'), 'utf8'))?.[1];
  return (JSON.parse(entry ?? '[]') as string[])[1] ?? '';
}

/** The parts of a CycloneDX document the test reads. */
interface CycloneDx {
  readonly bomFormat: string;
  readonly specVersion: string;
  readonly metadata: { readonly component: { readonly purl?: string } };
  readonly components: readonly {
    readonly name: string;
    readonly version: string;
    readonly purl?: string;
    readonly licenses?: readonly unknown[];
    readonly hashes?: readonly { readonly alg: string; readonly content: string }[];
  }[];
}

/** Every package installed under a node_modules folder, nested ones too: name@version → its folder. */
async function installedPackages(nodeModules: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@')) {
        await walk(join(dir, entry.name));
        continue;
      }
      const folder = join(dir, entry.name);
      const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
      };
      found.set(`${manifest.name}@${manifest.version}`, folder);
      await walk(join(folder, 'node_modules'));
    }
  };
  await walk(nodeModules);
  return found;
}

let work: string;
let stages: Stage[];
let runtime: Promise<string> | undefined;

/** The runtime stage's files, assembled once for the tests that run them. */
const runtimeApp = (): Promise<string> => (runtime ??= assembleRuntime());

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'coxswain-image-'));
  stages = stagesOf(await readFile(join(root, 'Dockerfile'), 'utf8'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the Dockerfile, step by step', () => {
  it('has a build stage, a dependencies stage without dev dependencies, and a runtime stage as a numeric non-root user', async () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    expect(stages[1]?.runs).toEqual([
      'npm ci --omit=dev --ignore-scripts && npm cache clean --force',
      'npm pkg delete devDependencies && npm sbom --omit=dev --sbom-format=cyclonedx --sbom-type=application > sbom.cdx.json',
    ]);
    const text = await readFile(join(root, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^USER \d+:\d+$/mu);
    expect(text).toMatch(/^FROM \$\{RUNTIME_IMAGE\}$/mu);
  });

  it('builds: the build stage installs, type-checks and compiles what it copies', async () => {
    const dir = join(work, 'build');
    for (const copy of stages[0]?.copies ?? []) await copyInto(dir, copy, (s) => join(root, s));
    for (const step of stages[0]?.runs ?? []) await runStep(dir, step);
    await expect(readFile(join(dir, 'dist', 'src', 'main.js'), 'utf8')).resolves.toMatch(
      /from ["']\.\.\/commands\/index\.js["']/u,
    );
  });

  it("runs from the runtime stage's compiled files alone: help, a refused start, and a real start serving /healthz", async () => {
    const app = await runtimeApp();
    const main = await entrypointScript();
    expect(main).toBe('src/main.js');
    await expect(readFile(join(app, 'src', 'main.ts'), 'utf8')).rejects.toThrow(/ENOENT/u);
    const help = await run(node, [main, 'help'], { cwd: app });
    expect(help.stdout).toContain('coxswain start');
    const refused = await run(node, [main, 'start'], { cwd: app, env: { PATH: process.env['PATH'] ?? '' } }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.code).toBe(78);
    expect(refused?.stderr).toContain('SLACK_SIGNING_SECRET');

    const cluster = await testCluster();
    const emu = await SlackEmulator.start();
    const port = await freePort();
    const policy = join(work, 'policy.yaml');
    await writeFile(policy, 'roles: {}\n');
    const child = spawn(node, [main, 'start'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '',
        ...imageEnv(),
        SLACK_SIGNING_SECRET: emu.signingSecret,
        SLACK_BOT_TOKEN: emu.botToken,
        SLACK_API_URL: emu.apiUrl,
        PORT: String(port),
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        KUBECONFIG: cluster.botKubeconfig,
        COXSWAIN_POLICY: policy,
        COXSWAIN_CLUSTER: 'image-test',
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    try {
      await waitUntil(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.status,
            () => 0,
          )) === 200,
        { what: `the image's bot to be ready; it said: ${output.slice(-2000)}`, timeoutMs: 60_000 },
      );
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      await emu.stop();
      expect(code).toBe(0);
    }
  });

  it('ships a CycloneDX SBOM of exactly the packages in its node_modules, with purls, licenses and the lockfile hashes', async () => {
    const app = await runtimeApp();
    const sbom = JSON.parse(await readFile(join(app, 'sbom.cdx.json'), 'utf8')) as CycloneDx;
    expect([sbom.bomFormat, sbom.specVersion]).toEqual(['CycloneDX', '1.5']);
    expect(sbom.metadata.component.purl).toMatch(/^pkg:npm\/coxswain@\d+\.\d+\.\d+$/u);
    const shipped = await installedPackages(join(app, 'node_modules'));
    const listed = sbom.components.map((c) => `${c.name}@${c.version}`);
    expect([...new Set(listed)].sort()).toEqual([...shipped.keys()].sort());
    expect(shipped.size).toBeGreaterThan(50);
    // Each hash is the lockfile's integrity (SHA-512) of that package, so the SBOM names the very tarballs installed.
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; integrity?: string }>;
    };
    const integrity = new Set(
      Object.values(lock.packages).flatMap((p) =>
        p.integrity?.startsWith('sha512-') ? [Buffer.from(p.integrity.slice(7), 'base64').toString('hex')] : [],
      ),
    );
    const problems = sbom.components.flatMap((c) => [
      ...(c.purl?.startsWith('pkg:npm/') ? [] : [`${c.name}: purl ${c.purl ?? 'missing'}`]),
      ...((c.licenses ?? []).length > 0 ? [] : [`${c.name}: no license`]),
      ...(c.hashes?.some((h) => h.alg === 'SHA-512' && integrity.has(h.content)) ? [] : [`${c.name}: hash`]),
    ]);
    expect(problems).toEqual([]);
  });

  it("runs `coxswain console` from the runtime stage's files alone, which carry none of the Slack emulator's test equipment", async () => {
    const app = await runtimeApp();
    const equipment = join(root, 'test', 'support', 'slack-emulator');
    const ownFiles: string[] = [];
    for (const name of await readdir(equipment)) {
      if (
        name !== 'index.ts' &&
        !(await readFile(join(equipment, name), 'utf8')).includes("export * from '../../../src/")
      )
        ownFiles.push(name.replace(/\.ts$/u, '.js'));
    }
    expect(ownFiles).toEqual(expect.arrayContaining(['fault-injector.js', 'socket-mode.js', 'emulator-clock.js']));
    const shipped = (await readdir(join(app, 'src'), { recursive: true })).map((path) => basename(path));
    expect(ownFiles.filter((name) => shipped.includes(name))).toEqual([]);
    const cluster = await testCluster();
    const policy = join(work, 'console-policy.yaml');
    await writeFile(policy, 'roles: {}\n');
    const { stdout } = await run(node, [await entrypointScript(), 'console', 'whoami'], {
      cwd: app,
      env: {
        PATH: process.env['PATH'] ?? '',
        ...imageEnv(),
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        KUBECONFIG: cluster.botKubeconfig,
        COXSWAIN_POLICY: policy,
        COXSWAIN_CLUSTER: 'image-console-test',
      },
      timeout: 120_000,
    });
    expect(stdout).toContain('> whoami');
    expect(stdout).toContain('(only you)  You are @U0ALICE');
  });
});
