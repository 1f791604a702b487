import { CODE_FENCE_OVERHEAD, codeBlock } from './mrkdwn.ts';
import { charCount, slackLimits } from './slack-limits.ts';

/** Options of packLines. */
export interface PackLinesOptions {
  /** Characters available across all chunks, fences included. */
  readonly budget: number;
  /** Fence each chunk as a ``` code block (lines must have gone through codeLine). Default: false. */
  readonly code?: boolean;
  /** Which end to keep when lines must be cut: logs keep the newest, the tail. Default: 'head'. */
  readonly keep?: 'head' | 'tail';
  /** Most chunks (sections) to produce. Default: no limit beyond the budget. */
  readonly maxChunks?: number;
}

/** Lines packed into section-sized chunks. */
export interface PackedLines {
  /** Texts, each within a section's 3000 characters, in the original line order. */
  readonly chunks: string[];
  /** Lines left out to stay within the budget. */
  readonly cut: number;
}

interface Packing {
  readonly chunks: string[][];
  size: number;
  total: number;
}

function fits(packing: Packing, lineSize: number, capacity: number): boolean {
  return packing.chunks.length > 0 && packing.size + 1 + lineSize <= capacity;
}

/** Adds a line to the current chunk or opens a new one; false when the budget or chunk limit is reached. */
function addLine(packing: Packing, line: string, options: PackLinesOptions): boolean {
  const overhead = options.code === true ? CODE_FENCE_OVERHEAD : 0;
  const capacity = slackLimits.sectionText - overhead;
  const size = charCount(line);
  if (fits(packing, size, capacity)) {
    if (packing.total + 1 + size > options.budget) return false;
    packing.chunks.at(-1)?.push(line);
    packing.size += 1 + size;
    packing.total += 1 + size;
    return true;
  }
  const tooMany = packing.chunks.length >= (options.maxChunks ?? Number.POSITIVE_INFINITY);
  if (tooMany || size > capacity || packing.total + overhead + size > options.budget) return false;
  packing.chunks.push([line]);
  packing.size = size;
  packing.total += overhead + size;
  return true;
}

/**
 * Packs lines (already escaped, each shorter than a section) into as few section texts as the limits allow, and says
 * how many lines did not fit, so the caller can tell the reader rather than let Slack reject the message.
 */
export function packLines(lines: readonly string[], options: PackLinesOptions): PackedLines {
  const ordered = options.keep === 'tail' ? [...lines].reverse() : lines;
  const packing: Packing = { chunks: [], size: 0, total: 0 };
  let taken = 0;
  for (const line of ordered) {
    if (!addLine(packing, line, options)) break;
    taken += 1;
  }
  const chunks = options.keep === 'tail' ? packing.chunks.reverse().map((chunk) => chunk.reverse()) : packing.chunks;
  const texts = chunks.map((chunk) => (options.code === true ? codeBlock(chunk) : chunk.join('\n')));
  return { chunks: texts, cut: lines.length - taken };
}
