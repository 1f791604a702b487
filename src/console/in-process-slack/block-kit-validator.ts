import { checkElement, isInteractiveElement } from './block-kit-elements.ts';
import {
  at,
  checkArray,
  checkOptionalText,
  checkString,
  checkText,
  isRecord,
  schemaMismatch,
} from './block-kit-rules.ts';
import type { Json } from './block-kit-rules.ts';

/** Where blocks are shown; modals and Home tabs allow 100 blocks, messages 50. */
export type BlockSurface = 'message' | 'modal' | 'home';

type BlockCheck = (block: Json, pointer: string, errors: string[]) => void;

function checkSection(block: Json, pointer: string, errors: string[]): void {
  if (block.text === undefined && block.fields === undefined) {
    errors.push(at('must provide either text or fields', pointer));
  }
  checkOptionalText(block.text, `${pointer}/text`, { max: 3000 }, errors);
  if (block.fields !== undefined) {
    const fields = checkArray(block.fields, `${pointer}/fields`, { min: 1, max: 10 }, errors);
    fields.forEach((field, i) => checkText(field, `${pointer}/fields/${i}`, { max: 2000 }, errors));
  }
  if (block.accessory !== undefined) checkElement(block.accessory, `${pointer}/accessory`, errors);
}

function checkHeader(block: Json, pointer: string, errors: string[]): void {
  checkText(block.text, `${pointer}/text`, { max: 150, plainOnly: true, wording: 'no-longer-than' }, errors);
}

function checkContextElement(element: unknown, pointer: string, errors: string[]): void {
  if (isRecord(element) && element.type === 'image') checkElement(element, pointer, errors);
  else checkText(element, pointer, { max: 3000 }, errors);
}

function checkContext(block: Json, pointer: string, errors: string[]): void {
  const elements = checkArray(block.elements, `${pointer}/elements`, { min: 1, max: 10 }, errors);
  elements.forEach((element, i) => checkContextElement(element, `${pointer}/elements/${i}`, errors));
}

function checkUniqueActionIds(elements: unknown[], pointer: string, errors: string[]): void {
  const seen = new Set<string>();
  elements.forEach((element, i) => {
    if (!isRecord(element) || typeof element.action_id !== 'string') return;
    if (seen.has(element.action_id))
      errors.push(at('action_id must be unique within a block', `${pointer}/elements/${i}/action_id`));
    seen.add(element.action_id);
  });
}

function actionsCheck(max: number): BlockCheck {
  return (block, pointer, errors) => {
    const elements = checkArray(block.elements, `${pointer}/elements`, { min: 1, max }, errors);
    elements.forEach((element, i) => {
      if (!isInteractiveElement(element)) errors.push(schemaMismatch(`${pointer}/elements/${i}`));
      else checkElement(element, `${pointer}/elements/${i}`, errors);
    });
    checkUniqueActionIds(elements, pointer, errors);
  };
}

function checkImageBlock(block: Json, pointer: string, errors: string[]): void {
  checkElement(block, pointer, errors);
  checkOptionalText(block.title, `${pointer}/title`, { max: 2000, plainOnly: true }, errors);
}

function checkInput(block: Json, pointer: string, errors: string[]): void {
  checkText(block.label, `${pointer}/label`, { max: 2000, plainOnly: true }, errors);
  checkOptionalText(block.hint, `${pointer}/hint`, { max: 2000, plainOnly: true }, errors);
  if (!isInteractiveElement(block.element)) errors.push(schemaMismatch(`${pointer}/element`));
  else checkElement(block.element, `${pointer}/element`, errors);
}

function checkMarkdown(block: Json, pointer: string, errors: string[]): void {
  if (typeof block.text !== 'string') errors.push(at('must be a string', `${pointer}/text`));
  else checkString(block.text, `${pointer}/text`, 12000, errors);
}

function checkTable(block: Json, pointer: string, errors: string[]): void {
  const rows = checkArray(block.rows, `${pointer}/rows`, { min: 1, max: 100 }, errors);
  rows.forEach((row, i) => checkArray(row, `${pointer}/rows/${i}`, { min: 1, max: 20 }, errors));
  if (block.column_settings !== undefined)
    checkArray(block.column_settings, `${pointer}/column_settings`, { max: 20 }, errors);
}

const noCheck: BlockCheck = () => undefined;

const BLOCK_CHECKS: Readonly<Record<string, BlockCheck>> = {
  section: checkSection,
  header: checkHeader,
  context: checkContext,
  actions: actionsCheck(25),
  context_actions: actionsCheck(5),
  divider: noCheck,
  image: checkImageBlock,
  input: checkInput,
  markdown: checkMarkdown,
  rich_text: noCheck,
  table: checkTable,
  file: noCheck,
  video: noCheck,
  call: noCheck,
};

function checkBlock(block: unknown, pointer: string, errors: string[]): void {
  const check = isRecord(block) && typeof block.type === 'string' ? BLOCK_CHECKS[block.type] : undefined;
  if (!isRecord(block) || check === undefined) {
    errors.push(schemaMismatch(pointer));
    return;
  }
  checkString(block.block_id, `${pointer}/block_id`, 255, errors);
  check(block, pointer, errors);
}

function checkUniqueBlockIds(blocks: unknown[], errors: string[]): void {
  const seen = new Set<string>();
  blocks.forEach((block, i) => {
    if (!isRecord(block) || typeof block.block_id !== 'string') return;
    if (seen.has(block.block_id)) errors.push(at('block_id must be unique within a message', `/blocks/${i}/block_id`));
    seen.add(block.block_id);
  });
}

/**
 * Validates `blocks` against Slack's documented limits (slack-wire.md §4.2) and returns Slack's error strings with
 * JSON pointers; an empty list means Slack would accept them. Hand-written because Slack publishes no schema.
 */
export function validateBlocks(blocks: unknown, surface: BlockSurface = 'message'): string[] {
  const errors: string[] = [];
  const max = surface === 'message' ? 50 : 100;
  const list = checkArray(blocks, '/blocks', { max }, errors);
  list.forEach((block, i) => checkBlock(block, `/blocks/${i}`, errors));
  checkUniqueBlockIds(list, errors);
  return errors;
}

/** Slack's answer for rejected blocks: `invalid_blocks`, the errors, and the same lines as `[ERROR]` metadata. */
export function invalidBlocksResult(errors: readonly string[]): {
  ok: false;
  error: 'invalid_blocks';
  errors: string[];
  response_metadata: { messages: string[] };
} {
  return {
    ok: false,
    error: 'invalid_blocks',
    errors: [...errors],
    response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
  };
}
