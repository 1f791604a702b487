// Text that reaches Slack from users or the cluster goes through these helpers, so a pod called `<!channel>` or a log
// line with ``` can neither ping a channel nor break out of the formatting around it. Each helper also cuts to a
// maximum length, counted after escaping, because Slack counts `&lt;` as four characters.
import { charCount } from './slack-limits.ts';

const ZERO_WIDTH_SPACE = '\u200B';
const ELLIPSIS = '…';
const MENTION = /(<@[UW][A-Z0-9]{2,}>|<#[CG][A-Z0-9]{2,}>)/;
// Colour codes and other terminal controls are common in container logs and only clutter Slack.
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /\u001b\[[0-9;?]*[A-Za-z]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

function escapeChar(ch: string): string {
  if (ch === '&') return '&amp;';
  if (ch === '<') return '&lt;';
  if (ch === '>') return '&gt;';
  return ch;
}

/** Joins pieces that must not be split (escaped characters, mentions) into at most `max` characters, "…" when cut. */
function joinWithin(pieces: readonly string[], max: number): string {
  const total = pieces.reduce((sum, piece) => sum + charCount(piece), 0);
  if (total <= max) return pieces.join('');
  let out = '';
  let used = 0;
  for (const piece of pieces) {
    const size = charCount(piece);
    if (used + size > max - 1) break;
    out += piece;
    used += size;
  }
  return `${out}${ELLIPSIS}`;
}

/**
 * Escapes raw text for mrkdwn (`&`, `<`, `>`) and cuts it to `max` characters; Slack requires the escapes everywhere.
 */
export function escapeMrkdwn(raw: string, max = Number.POSITIVE_INFINITY): string {
  return joinWithin(Array.from(raw, escapeChar), max);
}

/**
 * Like escapeMrkdwn but keeps user and channel mentions (`<@U0BOB>`, `<#C0OPS>`) working: the bot's own wording names
 * people (who holds a lock, who approved), and a mention is the only way to show a name without looking it up.
 */
export function escapeKeepingMentions(raw: string, max = Number.POSITIVE_INFINITY): string {
  const pieces = raw.split(MENTION).flatMap((part, i) => (i % 2 === 1 ? [part] : Array.from(part, escapeChar)));
  return joinWithin(pieces, max);
}

/** One line of user or cluster text as inline code; a backtick would end the span early, so it becomes `ˋ`. */
export function inlineCode(raw: string, max = Number.POSITIVE_INFINITY): string {
  const flat = raw.replace(/[\r\n]+/g, ' ').replaceAll('`', 'ˋ');
  return `\`${escapeMrkdwn(flat === '' ? ' ' : flat, max - 2)}\``;
}

/**
 * One line for a ``` code block: terminal controls dropped, escaped, cut to `max`, and with a zero-width space between
 * backticks so no run of them (nor one touching the fence) can close the block and let the rest render as mrkdwn.
 */
export function codeLine(raw: string, max = Number.POSITIVE_INFINITY): string {
  let line = raw.replace(TERMINAL_CONTROL, '').replace(/`(?=`)/g, `\`${ZERO_WIDTH_SPACE}`);
  if (line.startsWith('`')) line = `${ZERO_WIDTH_SPACE}${line}`;
  if (line.endsWith('`')) line = `${line}${ZERO_WIDTH_SPACE}`;
  return escapeMrkdwn(line, max);
}

/** Characters the fences of codeBlock add around its lines. */
export const CODE_FENCE_OVERHEAD = 8;

/** Fences lines that went through codeLine; an empty list still yields a valid, visibly empty block. */
export function codeBlock(lines: readonly string[]): string {
  const body = lines.length === 0 ? ' ' : lines.join('\n');
  return `\`\`\`\n${body}\n\`\`\``;
}
