// The policy in force. Reloaded when its file changes (a ConfigMap update swaps
// a symlink, so the directory is watched, with a periodic check as a backstop);
// a new file that does not validate is refused and the last good one stays.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Log } from '../log/create-logger.ts';
import { loadPolicy, PolicyError } from './load-policy.ts';
import { policySchema, type Policy } from './policy-schema.ts';

/** Where the gateway and worker read the current policy. */
export interface PolicyStore {
  /** The policy in force. */
  current(): Policy;
  /** The file it came from, or a note that none is configured; named in refusals. */
  readonly source: string;
  /** Re-reads the file now; resolves true when a new policy took effect. */
  reload(): Promise<boolean>;
  close(): void;
}

/** A policy that grants nothing: what runs when no file is configured. */
export const emptyPolicy: Policy = policySchema.parse({});

/** A store over a fixed policy (tests, and no COXSWAIN_POLICY). */
export function staticPolicyStore(policy: Policy, source: string): PolicyStore {
  return { current: () => policy, source, reload: () => Promise.resolve(false), close: () => undefined };
}

/** Options of openPolicyStore. */
export interface PolicyStoreOptions {
  readonly file: string;
  readonly log: Log;
  /** Backstop re-check interval. Default 10 s. */
  readonly checkEveryMs?: number;
  /** Quiet time after a change before the file is read. Default 250 ms. */
  readonly settleMs?: number;
}

/** Loads the file (throws PolicyError when the first load fails) and keeps it current. */
export async function openPolicyStore(options: PolicyStoreOptions): Promise<PolicyStore> {
  const { file, log } = options;
  let policy = await loadPolicy(file);
  let stamp = await fileStamp(file);
  const reload = async (): Promise<boolean> => {
    const next = await fileStamp(file);
    if (next === stamp) return false;
    stamp = next;
    try {
      policy = await loadPolicy(file);
      log('info', 'policy reloaded', { file, bindings: policy.bindings.length });
      return true;
    } catch (error) {
      const problems = error instanceof PolicyError ? error.problems : [String(error)];
      log('error', 'policy change refused; the previous policy stays in force', { file, problems });
      return false;
    }
  };
  // Editors and ConfigMap updates touch the file several times; read it once they are done.
  let debounce: NodeJS.Timeout | undefined;
  const onChange = (): void => {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      void reload();
    }, options.settleMs ?? 250);
  };
  const watcher = watchDirectory(file, onChange, log);
  const timer = setInterval(onChange, options.checkEveryMs ?? 10_000);
  timer.unref();
  return {
    current: () => policy,
    source: file,
    reload,
    close: () => {
      watcher?.close();
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
    },
  };
}

async function fileStamp(file: string): Promise<string> {
  const s = await stat(file).catch(() => undefined);
  return s ? `${s.mtimeMs}:${s.size}:${s.ino}` : 'missing';
}

function watchDirectory(file: string, onChange: () => void, log: Log): FSWatcher | undefined {
  try {
    const name = basename(file);
    return watch(dirname(file), (_event, changed) => {
      if (!changed || changed === name || changed.startsWith('..')) onChange();
    });
  } catch (error) {
    log('warn', 'cannot watch the policy file; checking it periodically instead', { file, error: String(error) });
    return undefined;
  }
}
