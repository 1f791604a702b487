import { randomBytes } from 'node:crypto';
import { fail } from './api-method.ts';
import { isRecord } from './block-kit-rules.ts';
import { invalidBlocksResult, validateBlocks } from './block-kit-validator.ts';
import type { ApiResult, MessageContent } from './slack-types.ts';

const MAX_TEXT = 40_000;

function randomId(): string {
  return randomBytes(3).toString('base64url');
}

function withActionId(element: unknown): unknown {
  if (!isRecord(element) || typeof element.type !== 'string' || element.action_id !== undefined) return element;
  return element.type === 'image' ? element : { ...element, action_id: randomId() };
}

function withIdsInBlock(block: unknown): unknown {
  if (!isRecord(block)) return block;
  const copy: Record<string, unknown> = { ...structuredClone(block), block_id: block.block_id ?? randomId() };
  if (Array.isArray(copy.elements) && (block.type === 'actions' || block.type === 'context_actions'))
    copy.elements = copy.elements.map(withActionId);
  if (copy.accessory !== undefined) copy.accessory = withActionId(copy.accessory);
  return copy;
}

/** A copy of the blocks with the `block_id`s and `action_id`s Slack fills in when a message omits them. */
export function withIds(blocks: readonly unknown[]): unknown[] {
  return blocks.map(withIdsInBlock);
}

/** Picks the message fields out of request parameters; `text` above 40,000 characters is truncated as Slack does. */
export function readContent(params: Record<string, unknown>): MessageContent {
  const content: MessageContent = {};
  if (typeof params.text === 'string' || typeof params.text === 'number')
    content.text = String(params.text).slice(0, MAX_TEXT);
  if (params.blocks !== undefined)
    content.blocks = Array.isArray(params.blocks) ? withIds(params.blocks) : (params.blocks as unknown[]);
  if (params.attachments !== undefined) content.attachments = params.attachments as unknown[];
  if (params.metadata !== undefined) content.metadata = params.metadata;
  return content;
}

function isEmpty(content: MessageContent): boolean {
  const noBlocks = !Array.isArray(content.blocks) || content.blocks.length === 0;
  const noAttachments = !Array.isArray(content.attachments) || content.attachments.length === 0;
  return (content.text ?? '') === '' && noBlocks && noAttachments;
}

/** Slack's content errors: `no_text` for an empty message, `invalid_blocks` (with details) for bad blocks. */
export function contentError(content: MessageContent): ApiResult | undefined {
  if (content.blocks !== undefined && !Array.isArray(content.blocks)) return fail('invalid_blocks_format');
  if (isEmpty(content)) return fail('no_text');
  const errors = content.blocks === undefined ? [] : validateBlocks(content.blocks);
  return errors.length > 0 ? invalidBlocksResult(errors) : undefined;
}
