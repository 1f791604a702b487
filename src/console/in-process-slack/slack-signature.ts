import { createHmac } from 'node:crypto';

/** The inputs of Slack's v0 request signature. */
export interface SignatureInput {
  readonly signingSecret: string;
  /** Unix seconds, as sent in `X-Slack-Request-Timestamp`. */
  readonly timestamp: number | string;
  /** The raw request body exactly as sent on the wire. */
  readonly body: string;
}

/**
 * Computes `X-Slack-Signature` the way Slack does (v0 HMAC-SHA256 over `v0:<ts>:<body>`), so the driver's requests
 * pass Bolt's real verification rather than a test-only bypass.
 */
export function signSlackRequest(input: SignatureInput): string {
  const base = `v0:${String(input.timestamp)}:${input.body}`;
  return `v0=${createHmac('sha256', input.signingSecret).update(base).digest('hex')}`;
}
