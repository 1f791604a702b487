import type { KnownBlock } from '@slack/types';
import type { TableResult } from '../results.ts';
import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { codeLine, escapeMrkdwn } from './mrkdwn.ts';
import { packLines } from './pack-lines.ts';
import type { SlackMessage } from './slack-message.ts';

// A monospace block keeps columns aligned on every client (the table block is not rendered everywhere yet). A cell
// wider than this would push every other row's columns off screen.
const MAX_CELL = 60;
// Even a table with many columns must leave room for more than one row in a section.
const MAX_ROW = 1500;
const MAX_TITLE = 200;
const TABLE_BUDGET = 9000;

function clipCell(raw: string): string {
  const flat = raw.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= MAX_CELL ? flat : `${chars.slice(0, MAX_CELL - 1).join('')}…`;
}

function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Array.from(cell).length);
    });
  }
  return widths;
}

/** Pads on the raw text, before escaping, because `&lt;` shows as one character. */
function alignRow(row: readonly string[], widths: readonly number[]): string {
  const cells = row.map((cell, i) =>
    i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - Array.from(cell).length),
  );
  return cells.join('   ').trimEnd();
}

function notShown(count: number): string {
  return `… ${count} more not shown`;
}

function countText(count: number): string {
  return `${count} ${count === 1 ? 'row' : 'rows'}`;
}

/**
 * A `get pods|deployments` table as aligned columns in a code block. Rows that do not fit Slack's limits are cut
 * and counted together with the ones the command already left out, so the reader knows the list is partial.
 */
export function renderTable(result: TableResult): SlackMessage {
  const fallback = `${escapeMrkdwn(result.title, MAX_TITLE)} (${countText(result.rows.length + result.omitted)})`;
  const title = `*${escapeMrkdwn(result.title, MAX_TITLE)}*`;
  if (result.rows.length === 0 && result.omitted === 0)
    return boundMessage(fallback, [section(`${title}\n_No resources found._`)]);
  const rows = [result.columns, ...result.rows].map((row) => row.map(clipCell));
  const widths = columnWidths(rows);
  const lines = rows.map((row) => codeLine(alignRow(row, widths), MAX_ROW));
  const packed = packLines(lines, { budget: TABLE_BUDGET, code: true });
  const hidden = result.omitted + packed.cut;
  const blocks: KnownBlock[] = [section(title), ...packed.chunks.map(section)];
  if (hidden > 0) blocks.push(context(notShown(hidden)));
  return boundMessage(fallback, blocks);
}
