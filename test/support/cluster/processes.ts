import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A control-plane process the harness started and must be able to stop later. */
export interface ComponentProcess {
  readonly name: string;
  readonly pid: number;
  readonly binary: string;
  /**
   * Its command-line arguments, to start it again the same way; absent in state files written before they were
   * recorded.
   */
  readonly args?: readonly string[];
  readonly logFile: string;
}

/** Asks the kernel for a free port on 127.0.0.1 (released before use; the window is tiny). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a binary detached from this process, output to its own log file, so
 * the cluster outlives a jest run and can be reused by the next one.
 */
export function startComponent(
  name: string,
  binary: string,
  args: readonly string[],
  logFile: string,
): ComponentProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${binary})`);
    child.unref();
    return { name, pid: child.pid, binary, args: [...args], logFile };
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` is alive and is still the binary we started (PIDs get reused). */
export async function isRunning(component: ComponentProcess): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${component.pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === component.binary;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there. */
export async function stopComponent(component: ComponentProcess, graceMs = 10_000): Promise<void> {
  if (!(await isRunning(component))) return;
  process.kill(component.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(component))) return;
    await sleep(100);
  }
  if (await isRunning(component)) process.kill(component.pid, 'SIGKILL');
}

/** The last lines of a component's log, for error messages. */
export async function logTail(logFile: string, lines = 25): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Options of waitUntil. */
export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  readonly what: string;
  /** Give up after this long. Default 60 s. */
  readonly timeoutMs?: number;
  /** Delay between probes. Default 100 ms. */
  readonly intervalMs?: number;
}

/** Polls `probe` until it returns true; for processes starting up there is no event to wait on. */
export async function waitUntil(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(options.intervalMs ?? 100);
  }
  throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms waiting for ${options.what}`);
}
