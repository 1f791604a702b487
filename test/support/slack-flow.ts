// Reading a job's life from the Slack emulator's record: its thread root, the
// root's final edit (✅/❌), and what was said in its thread.
import type { RecordedCall, SlackEmulator } from './slack-emulator/index.ts';

/** The `text` a call posted, or ''. */
export function callText(call: RecordedCall): string {
  const value = call.params['text'];
  return typeof value === 'string' ? value : '';
}

/** Options of waitForJob. */
export interface WaitForJobOptions {
  /** Only calls from this index of emu.calls on. Default 0. */
  readonly since?: number;
  /** For the root and for its final edit, each. Default 45 s. */
  readonly timeoutMs?: number;
}

/** A finished job as Slack saw it. */
export interface FinishedJob {
  readonly root: RecordedCall;
  readonly final: RecordedCall;
  /** Text of the final root edit, e.g. "✅ <@U0ALICE> → deploy … · done in 2 s". */
  readonly finalText: string;
  /** Every reply in the thread (text and blocks), joined. */
  readonly threadText: string;
}

/** Waits for the thread root whose text contains `marker`, then for its final ✅/❌ edit. */
export async function waitForJob(
  emu: SlackEmulator,
  marker: string,
  options: WaitForJobOptions = {},
): Promise<FinishedJob> {
  const since = options.since ?? 0;
  // Only a post Slack accepted is the root: a refused one (429, 5xx) has no ts, and the bot posts it again.
  const root = await emu.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.result['ok'] === true &&
      c.params['thread_ts'] === undefined &&
      callText(c).includes(marker),
    { since, timeoutMs: options.timeoutMs ?? 45_000 },
  );
  const ts = String(root.result['ts']);
  const channel = String(root.params['channel']);
  const final = await emu.waitFor(
    (c) =>
      c.method === 'chat.update' && c.result['ok'] === true && c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)),
    { since, timeoutMs: options.timeoutMs ?? 45_000 },
  );
  const threadText = emu
    .thread(channel, ts)
    .slice(1)
    .map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`)
    .join('\n');
  return { root, final, finalText: callText(final), threadText };
}
