/** Shared helpers for the Block Kit validator: pointers, Slack's message wording, text and string limits. */

/** A JSON value as the validator sees it. */
export type Json = Record<string, unknown>;

/** Narrowing helper: a plain JSON object. */
export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Slack's error suffix: `<message> [json-pointer:/blocks/0/text]`. */
export function at(message: string, pointer: string): string {
  return `${message} [json-pointer:${pointer}]`;
}

/** Character count as Slack applies its limits: code points of the string that was sent. */
export function charCount(value: string): number {
  return [...value].length;
}

/** Slack's wording for the failure of a union-typed value (text objects, elements). */
export function schemaMismatch(pointer: string): string {
  return at('failed to match all allowed schemas', pointer);
}

/** Limits for a text composition object. */
export interface TextRule {
  readonly max: number;
  /** Only `plain_text` allowed (headers, buttons, labels, options). Default: plain_text or mrkdwn. */
  readonly plainOnly?: boolean;
  /** Slack words the header limit differently ("must be no longer than 150 characters"). */
  readonly wording?: 'less-than' | 'no-longer-than';
}

function lengthMessage(rule: TextRule): string {
  return rule.wording === 'no-longer-than'
    ? `must be no longer than ${rule.max} characters`
    : `must be less than ${rule.max + 1} characters`;
}

function textProblems(value: Json, pointer: string, rule: TextRule): string[] {
  const allowed = rule.plainOnly === true ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (typeof value.type !== 'string' || !allowed.includes(value.type)) {
    return [at(`must be one of: ${allowed.join(', ')}`, `${pointer}/type`)];
  }
  if (typeof value.text !== 'string') return [at('must be a string', `${pointer}/text`)];
  if (charCount(value.text) === 0) return [at('must be more than 0 characters', `${pointer}/text`)];
  if (charCount(value.text) > rule.max) return [at(lengthMessage(rule), `${pointer}/text`)];
  return [];
}

/** Validates a text object; like Slack, a bad text object reports the schema mismatch and then the cause. */
export function checkText(value: unknown, pointer: string, rule: TextRule, errors: string[]): void {
  if (!isRecord(value)) {
    errors.push(schemaMismatch(pointer));
    return;
  }
  const problems = textProblems(value, pointer, rule);
  if (problems.length > 0) errors.push(schemaMismatch(pointer), ...problems);
}

/** Validates a text object only when present. */
export function checkOptionalText(value: unknown, pointer: string, rule: TextRule, errors: string[]): void {
  if (value !== undefined) checkText(value, pointer, rule, errors);
}

/** Validates an optional string field (ids, values, urls) against a maximum length. */
export function checkString(value: unknown, pointer: string, max: number, errors: string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string') errors.push(at('must be a string', pointer));
  else if (charCount(value) > max) errors.push(at(`must be less than ${max + 1} characters`, pointer));
}

/** Validates an array's size; returns the array (or an empty one) so callers can walk it. */
export function checkArray(
  value: unknown,
  pointer: string,
  limits: { min?: number; max: number },
  errors: string[],
): unknown[] {
  if (!Array.isArray(value)) {
    errors.push(at('must be an array', pointer));
    return [];
  }
  if (value.length > limits.max) errors.push(at(`no more than ${limits.max} items allowed`, pointer));
  if (value.length < (limits.min ?? 0)) errors.push(at(`must provide at least ${limits.min ?? 0} items`, pointer));
  return value;
}
