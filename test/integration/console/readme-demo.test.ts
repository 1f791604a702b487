// The README's demo is a test: every line its "Try:" block tells a newcomer to
// type is read out of README.md and typed, one at a time, into `npm run demo`
// itself (the same process, seeding, policy and console a newcomer gets), and
// what each line should do is read back from what the demo prints, as they
// would read it. Change the README's lines and this test has to change too.
//
// The demo works in the fixed namespace `playground` (the README names it) of
// the suite's cluster, and leaves it as a newcomer's run would: its seed puts
// the deployments back in their starting state each time, so runs repeat.
import { describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
jest.setTimeout(240_000);

/** The lines of the fenced block after "You are `U0ALICE` in `#C0OPS`. Try:", as the README shows them. */
function readmeDemoLines(readme: string): string[] {
  const intro = 'You are `U0ALICE` in `#C0OPS`. Try:';
  const at = readme.indexOf(intro);
  if (at < 0)
    throw new Error(`README.md no longer says "${intro}"; this test reads the demo's lines from the block after it`);
  const block = /```[^\n]*\n([\s\S]*?)```/u.exec(readme.slice(at + intro.length));
  if (!block?.[1]) throw new Error('README.md has no fenced block after the demo\'s "Try:"');
  return block[1]
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/** `npm run demo` as a process: what it printed so far, and a keyboard. */
class Demo {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #exit: Promise<number | null>;
  readonly #waiters = new Set<() => void>();
  #output = '';

  constructor() {
    // Its own process group, so a failed run can be stopped with everything npm started under it.
    this.#child = spawn('npm', ['run', 'demo'], { cwd: root, env: process.env, detached: true });
    this.#exit = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    const take = (chunk: Buffer): void => {
      this.#output += chunk.toString('utf8');
      for (const wake of this.#waiters) wake();
    };
    this.#child.stdout.on('data', take);
    this.#child.stderr.on('data', take);
  }

  get output(): string {
    return this.#output;
  }

  /** Types a line and returns where the output stood, so checks read only what came after. */
  type(line: string): number {
    const from = this.#output.length;
    this.#child.stdin.write(`${line}\n`);
    this.#output += `\n[typed] ${line}\n`; // for the failure message's transcript; no check matches it
    return from;
  }

  /** Waits until the output after `from` matches, and returns the match. */
  async waitFor(pattern: RegExp, from: number, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.#output.slice(from));
        if (match) {
          done();
          resolve(match);
        }
        return Boolean(match);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `waited ${timeoutMs} ms for ${what} (${String(pattern)}); the demo's last output:\n${this.#output.split('\n').slice(-80).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      const wake = (): void => {
        check();
      };
      if (!check()) this.#waiters.add(wake);
    });
  }

  /** The prompt after `from`: the demo reads the next line only once it asks for it. */
  async prompted(from: number): Promise<void> {
    await this.waitFor(/(?:^|\n)> /u, from, 'the prompt');
  }

  /** `:quit`, as the README says, and the exit code. */
  async quit(): Promise<number | null> {
    this.#child.stdin.end(':quit\n');
    return this.#exit;
  }

  /** Stops a demo that did not quit: SIGINT (its Ctrl-C) to its group, SIGKILL if that is not enough. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null || this.#child.pid === undefined) return;
    const group = -this.#child.pid;
    process.kill(group, 'SIGINT');
    const killer = setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 15_000);
    await this.#exit;
    clearTimeout(killer);
  }
}

/** What earlier lines left for later ones (the number printed on the card's Approve button), and a timing. */
interface Seen {
  approve?: string;
  recoveryMs?: number;
}

/** One README line: how to recognise it, what to type for it, and what must follow. */
interface Step {
  readonly line: RegExp;
  readonly what: string;
  readonly type?: (line: string, seen: Seen) => string;
  readonly before?: (demo: Demo) => Promise<void>;
  readonly check: (demo: Demo, from: number, seen: Seen) => Promise<void>;
}

const done = (text: string): RegExp => new RegExp(`✅ ${escape(text)} · done in`, 'u');
const rows = (out: string, pattern: RegExp): number => [...out.matchAll(pattern)].length;

const steps: readonly Step[] = [
  {
    line: /^\/k8s get pods -n playground$/u,
    what: "list the playground's pods",
    // The seed's starting state, as `get` shows it in the job's thread: web's 3 and api's 2 pods ready,
    // worker's two 0.8 pods serving and its 0.9 pod crash-looping beside them (the stalled bad release).
    check: async (demo, from) => {
      const end = await demo.waitFor(done('@U0ALICE → get pods in playground'), from, 'the get to end ✅');
      const thread = demo.output.slice(from, from + end.index);
      expect(thread).toMatch(/↳ NAME +READY +STATUS +RESTARTS +AGE/u);
      expect(rows(thread, /↳ web-\S+ +1\/1 +Running /gu)).toBe(3);
      expect(rows(thread, /↳ api-\S+ +1\/1 +Running /gu)).toBe(2);
      expect(rows(thread, /↳ worker-\S+ +1\/1 +Running /gu)).toBe(2);
      expect(rows(thread, /↳ worker-\S+ +0\/1 +CrashLoopBackOff /gu)).toBe(1);
    },
  },
  {
    line: /^\/k8s deploy web ghcr\.io\/acme\/web:1\.1 -n playground$/u,
    what: 'deploy web 1.1',
    // The deploy is followed to its end and says what changed: from the seed's 1.0, every replica.
    check: async (demo, from) => {
      await demo.waitFor(
        done('@U0ALICE → deploy web to ghcr.io/acme/web:1.1 in playground'),
        from,
        'the web deploy to end ✅',
      );
      const out = demo.output.slice(from);
      expect(out).toContain('✅ *Deploy of* `web` in `playground` *complete');
      expect(out).toContain('`web: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1`');
      expect(out).toContain('3/3 updated · 3/3 ready · 3/3 available');
    },
  },
  {
    line: /^\/k8s deploy api ghcr\.io\/acme\/api:2\.4 -n playground$/u,
    what: 'ask to deploy api 2.4',
    // The policy holds it for Bob: a card with its plan and numbered buttons, and no job yet.
    check: async (demo, from, seen) => {
      const buttons = await demo.waitFor(/\[(\d+) Approve\] \[\d+ Reject\]/u, from, "the approval card's buttons");
      const out = demo.output.slice(from);
      expect(out).toContain('@U0ALICE asks to *deploy api to ghcr.io/acme/api:2.4 in playground*');
      expect(out).toContain('`api: ghcr.io/acme/api:2.3 → ghcr.io/acme/api:2.4`');
      expect(out).toContain('Needs 1 approval(s) from @U0BOB');
      expect(out).not.toContain('→ deploy api to ghcr.io/acme/api:2.4 in playground · queued');
      seen.approve = buttons[1];
    },
  },
  {
    line: /^:as U0BOB$/u,
    what: 'become Bob',
    check: async (demo, from) => {
      await demo.waitFor(/\(you are U0BOB\)/u, from, 'the console to say you are Bob');
    },
  },
  {
    line: /^:click N$/u,
    what: "click the card's Approve",
    // N is whatever the card printed next to Approve (the alert's buttons may have taken the first numbers).
    type: (_line, seen) => `:click ${seen.approve ?? 'N (no card was seen)'}`,
    // Bob's click approves (the policy lets him), the card says so, and Alice's deploy runs to its end.
    check: async (demo, from) => {
      await demo.waitFor(/✅ Approved by @U0BOB/u, from, 'the card to say Bob approved');
      await demo.waitFor(
        done('@U0ALICE → deploy api to ghcr.io/acme/api:2.4 in playground'),
        from,
        'the approved api deploy to end ✅',
      );
    },
  },
  {
    line: /^:as U0ALICE$/u,
    what: 'become Alice again',
    check: async (demo, from) => {
      await demo.waitFor(/\(you are U0ALICE\)/u, from, 'the console to say you are Alice');
    },
  },
  {
    line: /^\/k8s rollout undo worker -n playground$/u,
    what: 'roll worker back',
    // What the newcomer is reacting to: the worker's alert, in red, before they type the undo.
    before: async (demo) => {
      await demo.waitFor(/🔴 \*CrashLoopBackOff\* · Deployment `worker` in `playground`/u, 0, "the worker's alert");
    },
    // The undo goes back to a healthy revision (issue 16: there was none) and ends ✅; then, with no pod
    // failing for the policy's recoverAfter (20 s), the alert turns green and its thread says it recovered.
    check: async (demo, from, seen) => {
      await demo.waitFor(done('@U0ALICE → roll back worker in playground'), from, 'the undo to end ✅');
      expect(demo.output.slice(from)).toContain('✅ *Rollback of* `worker` in `playground` *complete');
      const undone = Date.now();
      await demo.waitFor(
        /✅ Recovered: \*CrashLoopBackOff\* · Deployment `worker` in `playground`/u,
        from,
        "the worker's alert to turn green",
      );
      await demo.waitFor(/↳ ✅ Deployment `worker` recovered after/u, from, "the recovery in the alert's thread");
      seen.recoveryMs = Date.now() - undone;
    },
  },
  {
    line: /^\/k8s help deploy$/u,
    what: 'ask how deploy works',
    // Only the asker sees it: deploy's summary and usage.
    check: async (demo, from) => {
      await demo.waitFor(/\(only you\) {2}== \/k8s deploy ==/u, from, 'the help for deploy');
      expect(demo.output.slice(from)).toContain(
        '(only you)  `/k8s deploy <deployment> <image> [-n namespace] [-c container]`',
      );
    },
  },
];

function stepFor(line: string): Step {
  const step = steps.find((s) => s.line.test(line));
  if (!step)
    throw new Error(
      `README.md's demo tells a newcomer to type "${line}", and this test does not know what that should do: add a step for it`,
    );
  return step;
}

describe("the README's demo", () => {
  it('does what the README says for every line it tells a newcomer to type', async () => {
    const lines = readmeDemoLines(await readFile(join(root, 'README.md'), 'utf8'));
    const plan = lines.map((line) => ({ line, step: stepFor(line) }));
    // The README tells the whole story: a line dropped from it (the undo, say) fails here too.
    expect(steps.filter((s) => !plan.some((p) => p.step === s)).map((s) => s.what)).toEqual([]);

    const started = Date.now();
    const demo = new Demo();
    try {
      await demo.waitFor(/You are U0ALICE in #C0OPS\./u, 0, "the demo's prompt", 120_000);
      const ready = Date.now() - started;
      const seen: Seen = {};
      for (const { line, step } of plan) {
        await step.before?.(demo);
        const from = demo.type(step.type ? step.type(line, seen) : line);
        await step.check(demo, from, seen);
        await demo.prompted(from);
      }
      // Nothing in the run went wrong where the newcomer would see it: no bot warning or error (the demo's
      // policy, RBAC and configuration agree), no refusal (every line is typed by someone allowed to), no
      // click that missed, and the undo is not blamed for the failure it ended.
      expect(demo.output).not.toMatch(/\(bot (?:warn|error):/u);
      expect(demo.output).not.toMatch(/:warning:|You may not|\(no button|\(the click did not go through/u);
      expect(demo.output).not.toContain('is failing after your change (roll back worker');
      // `:quit` stops it, and it says so by its exit code.
      expect(await demo.quit()).toBe(0);
      console.log(
        `README demo: ${lines.length} lines; prompt after ${ready} ms (cluster reused), whole run ${Date.now() - started} ms; ` +
          `the undo's ✅ to the alert's recovery ${String(seen.recoveryMs)} ms (the policy's recoverAfter is 20 s)`,
      );
    } finally {
      await demo.stop();
    }
  });
});
