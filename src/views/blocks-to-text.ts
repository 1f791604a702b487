// Block Kit as a terminal shows it: for the local playground now and the
// console later. Only the block types Coxswain's views produce are drawn;
// anything else is named, never dropped silently.

function unescapeMrkdwn(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name ?? id}`)
    .replace(/<([^|<>]+)\|([^<>]+)>/g, '$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u200b/g, '');
}

function textOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || !('text' in value)) return '';
  return typeof value.text === 'string' ? unescapeMrkdwn(value.text) : '';
}

function blockToText(block: Record<string, unknown>): string {
  switch (block['type']) {
    case 'section':
      return [textOf(block['text']), ...((block['fields'] as unknown[] | undefined) ?? []).map(textOf)]
        .filter(Boolean)
        .join('\n');
    case 'header':
      return `== ${textOf(block['text'])} ==`;
    case 'context':
      return ((block['elements'] as unknown[] | undefined) ?? []).map(textOf).join('  ·  ');
    case 'divider':
      return '─'.repeat(40);
    case 'actions':
      return ((block['elements'] as unknown[] | undefined) ?? [])
        .map((e) => `[ ${textOf((e as Record<string, unknown>)['text'])} ]`)
        .join(' ');
    default:
      return `(${String(block['type'])} block)`;
  }
}

/** Renders a message's blocks (or its fallback text when it has none) as plain text lines. */
export function blocksToText(message: { readonly text?: string; readonly blocks?: readonly unknown[] }): string {
  const blocks = (message.blocks ?? []).filter(
    (b): b is Record<string, unknown> => typeof b === 'object' && b !== null,
  );
  if (blocks.length === 0) return unescapeMrkdwn(message.text ?? '');
  return blocks.map(blockToText).join('\n');
}
