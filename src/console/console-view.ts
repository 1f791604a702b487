// What Slack would show, as terminal lines: messages and their edits, replies
// indented under their thread, answers only the asker sees, and each button
// numbered so it can be clicked by typing `:click N`.
import { blocksToText } from '../views/blocks-to-text.ts';
import type { RecordedCall } from './in-process-slack/index.ts';

/** A button shown with a number. */
export interface NumberedButton {
  readonly channel: string;
  readonly ts: string;
  readonly actionId: string;
  readonly blockId: string;
  readonly label: string;
}

type ActionsBlock = {
  type?: string;
  block_id?: string;
  elements?: { type?: string; action_id?: string; text?: { text?: string } }[];
};

/** The numbering of buttons: a button keeps its number when its message is edited. */
export class ButtonBoard {
  readonly #buttons: NumberedButton[] = [];
  readonly #numbers = new Map<string, number>();

  /** Numbers the message's buttons and returns their labels as `[3 Approve]`. */
  number(channel: string, ts: string, blocks: readonly unknown[]): string[] {
    const actions = (blocks as ActionsBlock[]).filter((b) => b.type === 'actions');
    return actions.flatMap((b) =>
      (b.elements ?? [])
        .filter((e) => e.type === 'button' && e.action_id)
        .map((e) => {
          const button = {
            channel,
            ts,
            actionId: e.action_id ?? '',
            blockId: b.block_id ?? '',
            label: e.text?.text ?? e.action_id ?? '',
          };
          return `[${this.#numberOf(button)} ${button.label}]`;
        }),
    );
  }

  #numberOf(button: NumberedButton): number {
    const key = `${button.channel}/${button.ts}/${button.blockId}/${button.actionId}`;
    const known = this.#numbers.get(key);
    if (known !== undefined) return known;
    this.#buttons.push(button);
    this.#numbers.set(key, this.#buttons.length);
    return this.#buttons.length;
  }

  get(n: number): NumberedButton | undefined {
    return this.#buttons[n - 1];
  }
}

const withoutButtons = (blocks: readonly unknown[]): unknown[] =>
  blocks.filter((b) => (b as { type?: string }).type !== 'actions');
const indent = (text: string, prefix: string): string =>
  text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');

function attachmentStatus(params: Record<string, unknown>): string {
  const attachments = params['attachments'];
  if (!Array.isArray(attachments)) return '';
  return attachments
    .map((a) =>
      typeof (a as { text?: unknown }).text === 'string' ? `  (${String((a as { text: string }).text)})` : '',
    )
    .join('');
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Where the call's message shows, as a line prefix; undefined for calls that show nothing. */
function placeOf(call: RecordedCall, channel: string): string | undefined {
  if (call.method === 'chat.postMessage')
    return typeof call.params['thread_ts'] === 'string' ? `#${channel}   ↳ ` : `#${channel}  `;
  if (call.method === 'chat.update') return `#${channel} (edited)  `;
  if (call.method === 'chat.postEphemeral' || call.method === 'response_url') return '(only you)  ';
  return undefined;
}

/** The lines a recorded Web API call makes appear in Slack, or undefined for calls nobody sees. */
export function describeCall(call: RecordedCall, board: ButtonBoard): string | undefined {
  const p = call.params;
  const channel = text(p['channel']);
  const place = placeOf(call, channel);
  if (place === undefined) return undefined;
  if (!call.result.ok) return `(Slack refused ${call.method} in #${channel}: ${String(call.result['error'])})`;
  const blocks = Array.isArray(p['blocks']) ? (p['blocks'] as unknown[]) : [];
  const body = blocksToText({ text: text(p['text']), blocks: withoutButtons(blocks) }) + attachmentStatus(p);
  const buttons = board.number(channel, text(call.method === 'chat.update' ? p['ts'] : call.result['ts']), blocks);
  return indent(buttons.length ? `${body}\n${buttons.join(' ')}` : body, place);
}
