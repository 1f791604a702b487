import { describe, expect, it } from '@jest/globals';
import { invalidBlocksResult, validateBlocks } from '../../../support/slack-emulator/index.ts';

const section = (text: string): unknown => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (actionId: string, extra: Record<string, unknown> = {}): unknown => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text: 'Approve' },
  ...extra,
});

describe('validateBlocks', () => {
  it('accepts a typical approval card', () => {
    expect(
      validateBlocks([
        { type: 'header', text: { type: 'plain_text', text: 'Approval needed' } },
        section('*deploy* checkout'),
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'requested by <@U0ALICE>' }] },
        { type: 'divider' },
        {
          type: 'actions',
          block_id: 'approval',
          elements: [button('approve', { style: 'primary', value: 'job-1' }), button('reject', { style: 'danger' })],
        },
      ]),
    ).toEqual([]);
  });

  it('words an overlong section text as Slack does', () => {
    expect(validateBlocks([section('x'.repeat(3001))])).toEqual([
      'failed to match all allowed schemas [json-pointer:/blocks/0/text]',
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
  });

  it('limits a message to 50 blocks but a modal to 100', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(validateBlocks(blocks)).toEqual(['no more than 50 items allowed [json-pointer:/blocks]']);
    expect(validateBlocks(blocks, 'modal')).toEqual([]);
  });

  it('requires plain_text of at most 150 characters in a header', () => {
    expect(validateBlocks([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }])).toContain(
      'must be one of: plain_text [json-pointer:/blocks/0/text/type]',
    );
    expect(validateBlocks([{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }])).toContain(
      'must be no longer than 150 characters [json-pointer:/blocks/0/text/text]',
    );
  });

  it('rejects empty text', () => {
    expect(validateBlocks([section('')])).toContain(
      'must be more than 0 characters [json-pointer:/blocks/0/text/text]',
    );
  });

  it('checks button limits, style and confirm dialogs', () => {
    const errors = validateBlocks([
      {
        type: 'actions',
        elements: [
          button('a', { text: { type: 'plain_text', text: 'x'.repeat(76) } }),
          button('b', { style: 'warning' }),
          button('c', { value: 'v'.repeat(2001) }),
          button('d', {
            confirm: {
              title: { type: 'plain_text', text: 'Sure?' },
              text: { type: 'mrkdwn', text: 'really' },
              confirm: { type: 'plain_text', text: 'y'.repeat(31) },
              deny: { type: 'plain_text', text: 'No' },
            },
          }),
        ],
      },
    ]);
    expect(errors).toEqual([
      'failed to match all allowed schemas [json-pointer:/blocks/0/elements/0/text]',
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
      'must be one of: primary, danger [json-pointer:/blocks/0/elements/1/style]',
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/2/value]',
      'failed to match all allowed schemas [json-pointer:/blocks/0/elements/3/confirm/confirm]',
      'must be less than 31 characters [json-pointer:/blocks/0/elements/3/confirm/confirm/text]',
    ]);
  });

  it('limits actions to 25 elements, context to 10 and section fields to 10', () => {
    const errors = validateBlocks([
      { type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`b${i}`)) },
      { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'plain_text', text: 'c' })) },
      { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
    ]);
    expect(errors).toEqual([
      'no more than 25 items allowed [json-pointer:/blocks/0/elements]',
      'no more than 10 items allowed [json-pointer:/blocks/1/elements]',
      'no more than 10 items allowed [json-pointer:/blocks/2/fields]',
    ]);
  });

  it('treats duplicate block_ids and action_ids as errors, since clicks are routed by them', () => {
    const errors = validateBlocks([
      { type: 'actions', block_id: 'x', elements: [button('go'), button('go')] },
      { type: 'section', block_id: 'x', text: { type: 'plain_text', text: 'hi' } },
    ]);
    expect(errors).toEqual([
      'action_id must be unique within a block [json-pointer:/blocks/0/elements/1/action_id]',
      'block_id must be unique within a message [json-pointer:/blocks/1/block_id]',
    ]);
  });

  it('rejects unknown block and element types and overlong ids', () => {
    expect(validateBlocks([{ type: 'sectoin' }])).toEqual([
      'failed to match all allowed schemas [json-pointer:/blocks/0]',
    ]);
    expect(validateBlocks([{ type: 'actions', elements: [{ type: 'buton', action_id: 'a' }] }])).toEqual([
      'failed to match all allowed schemas [json-pointer:/blocks/0/elements/0]',
    ]);
    expect(validateBlocks([{ type: 'divider', block_id: 'b'.repeat(256) }])).toEqual([
      'must be less than 256 characters [json-pointer:/blocks/0/block_id]',
    ]);
  });

  it("builds Slack's invalid_blocks body with [ERROR] metadata lines", () => {
    expect(invalidBlocksResult(['must be more than 0 characters [json-pointer:/blocks/0/text/text]'])).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: ['must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
      response_metadata: { messages: ['[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]'] },
    });
  });
});
