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

const PLACEHOLDER = { max: 150, plainOnly: true } as const;
const OPTION_TEXT = { max: 75 } as const;

function checkConfirm(value: unknown, pointer: string, errors: string[]): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    errors.push(schemaMismatch(pointer));
    return;
  }
  checkText(value.title, `${pointer}/title`, { max: 100, plainOnly: true }, errors);
  checkText(value.text, `${pointer}/text`, { max: 300 }, errors);
  checkText(value.confirm, `${pointer}/confirm`, { max: 30, plainOnly: true }, errors);
  checkText(value.deny, `${pointer}/deny`, { max: 30, plainOnly: true }, errors);
  if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') {
    errors.push(at('must be one of: primary, danger', `${pointer}/style`));
  }
}

function checkOption(value: unknown, pointer: string, errors: string[]): void {
  if (!isRecord(value)) {
    errors.push(schemaMismatch(pointer));
    return;
  }
  checkText(value.text, `${pointer}/text`, OPTION_TEXT, errors);
  checkOptionalText(value.description, `${pointer}/description`, OPTION_TEXT, errors);
  checkString(value.value, `${pointer}/value`, 75, errors);
  checkString(value.url, `${pointer}/url`, 3000, errors);
}

function checkOptions(value: Json, pointer: string, max: number, errors: string[]): void {
  if (value.options !== undefined) {
    const options = checkArray(value.options, `${pointer}/options`, { min: 1, max }, errors);
    options.forEach((option, i) => checkOption(option, `${pointer}/options/${i}`, errors));
  }
  if (value.option_groups === undefined) return;
  const groups = checkArray(value.option_groups, `${pointer}/option_groups`, { min: 1, max: 100 }, errors);
  groups.forEach((group, i) => {
    if (!isRecord(group)) return;
    checkText(group.label, `${pointer}/option_groups/${i}/label`, { max: 75, plainOnly: true }, errors);
    const options = checkArray(group.options, `${pointer}/option_groups/${i}/options`, { min: 1, max: 100 }, errors);
    options.forEach((option, j) => checkOption(option, `${pointer}/option_groups/${i}/options/${j}`, errors));
  });
}

function checkButton(value: Json, pointer: string, errors: string[]): void {
  checkText(value.text, `${pointer}/text`, { max: 75, plainOnly: true }, errors);
  checkString(value.value, `${pointer}/value`, 2000, errors);
  checkString(value.url, `${pointer}/url`, 3000, errors);
  checkString(value.accessibility_label, `${pointer}/accessibility_label`, 75, errors);
  if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') {
    errors.push(at('must be one of: primary, danger', `${pointer}/style`));
  }
}

function checkImageElement(value: Json, pointer: string, errors: string[]): void {
  if (value.image_url === undefined && value.slack_file === undefined) {
    errors.push(at('must provide image_url or slack_file', pointer));
  }
  checkString(value.image_url, `${pointer}/image_url`, 3000, errors);
  if (typeof value.alt_text !== 'string') errors.push(at('must be a string', `${pointer}/alt_text`));
  else checkString(value.alt_text, `${pointer}/alt_text`, 2000, errors);
}

const OPTION_LIMITS: Readonly<Record<string, number>> = {
  static_select: 100,
  multi_static_select: 100,
  overflow: 5,
  checkboxes: 10,
  radio_buttons: 10,
};

const INTERACTIVE = new Set([
  'button',
  'static_select',
  'multi_static_select',
  'overflow',
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
  'external_select',
  'multi_external_select',
  'plain_text_input',
  'number_input',
  'email_text_input',
  'url_text_input',
  'rich_text_input',
  'file_input',
  'workflow_button',
  'feedback_buttons',
  'icon_button',
]);

/** Whether a value is an element with an `action_id` Slack routes interactions by. */
export function isInteractiveElement(value: unknown): value is Json {
  return isRecord(value) && typeof value.type === 'string' && INTERACTIVE.has(value.type);
}

/**
 * Validates one block element (button, selects, overflow, image…) against the §4.2 limits. Unknown element types fail
 * the way Slack fails them, so a typo in `type` surfaces as `invalid_blocks` rather than as a silently dropped button.
 */
export function checkElement(value: unknown, pointer: string, errors: string[]): void {
  if (!isRecord(value) || typeof value.type !== 'string') {
    errors.push(schemaMismatch(pointer));
    return;
  }
  if (value.type === 'image') {
    checkImageElement(value, pointer, errors);
    return;
  }
  if (!INTERACTIVE.has(value.type)) {
    errors.push(schemaMismatch(pointer));
    return;
  }
  checkString(value.action_id, `${pointer}/action_id`, 255, errors);
  checkOptionalText(value.placeholder, `${pointer}/placeholder`, PLACEHOLDER, errors);
  checkConfirm(value.confirm, `${pointer}/confirm`, errors);
  if (value.type === 'button') checkButton(value, pointer, errors);
  const maxOptions = OPTION_LIMITS[value.type];
  if (maxOptions !== undefined) checkOptions(value, pointer, maxOptions, errors);
}
