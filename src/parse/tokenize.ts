// Slack hands us the text as typed, after its own formatting: smart quotes,
// <url|label> links around anything that looks like a domain, &lt; escapes.
// tokenize undoes that, then splits like a shell (quotes group words).
import { ParseError } from './parse-error.ts';

const smartQuotes: Readonly<Record<string, string>> = { '“': '"', '”': '"', '„': '"', '‘': "'", '’': "'", '‚': "'" };

/** Undoes Slack's message formatting so `ghcr.io/acme/web:1.0` arrives as typed. */
export function unformatSlackText(text: string): string {
  return text
    .replace(/[“”„‘’‚]/g, (q) => smartQuotes[q] ?? q)
    .replace(/<(?:mailto:|https?:\/\/)?([^<>|@#!][^<>|]*)\|([^<>]+)>/g, (_m, _target: string, label: string) => label)
    .replace(/<(?:https?:\/\/)([^<>|@#!]+)>/g, (_m, target: string) => target)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u00a0/g, ' ');
}

/** Longest accepted command text; Slack itself caps at 4000 characters. */
export const maxCommandLength = 1000;

const word = /(?:[^\s"']+|"[^"]*"|'[^']*')+/g;

/**
 * Splits command text into words. Single and double quotes group words (no
 * escapes); an unclosed quote is an error.
 */
export function tokenize(raw: string): string[] {
  const text = unformatSlackText(raw).trim();
  if (text.length > maxCommandLength)
    throw new ParseError(`That command is ${text.length} characters long; the limit is ${maxCommandLength}.`);
  if (/["']/.test(text.replace(word, ''))) throw new ParseError('A quote is not closed.');
  return [...text.matchAll(word)].map((m) =>
    m[0].replace(/"([^"]*)"|'([^']*)'/g, (_q, d?: string, s?: string) => d ?? s ?? ''),
  );
}
