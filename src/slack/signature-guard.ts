// Slack's request signature, checked before Bolt sees the request, so that a
// refused request leaves a trace in the audit trail. Bolt's HTTPReceiver refuses
// a bad or stale signature with 401 and only logs a warning; a forged click
// (someone else's user id, a guessed secret) is exactly what an auditor wants
// to see. What the sender claims (user, team, channel) is recorded as
// unverified, never the body or the signature, and a flood is counted rather
// than recorded line by line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { verifySlackRequest } from '@slack/bolt';
import type { AuditRecorder } from '../audit/audit-log.ts';
import type { Log } from '../log/create-logger.ts';

/** A node:http request listener, as Bolt's HTTPReceiver exposes it. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Why a request was refused before Bolt saw it. */
export type RefusalReason = 'bad_signature' | 'stale' | 'body_too_large';

/** Options of guardSignatures. */
export interface SignatureGuardOptions {
  readonly signingSecret: string;
  readonly audit: AuditRecorder;
  readonly log: Log;
  /** The paths Bolt serves Slack's requests on. Default ['/slack/events']. */
  readonly endpoints?: readonly string[];
  /** Largest body read. Default 4 MiB, Bolt's own default. */
  readonly bodyLimit?: number;
  /** Refusals recorded one by one per window; the rest are counted into one record. Default 20. */
  readonly perWindow?: number;
  /** Length of that window. Default 60 s. */
  readonly windowMs?: number;
}

/** What an unverified request says about itself: IDs only, each checked against Slack's ID shape. */
export interface ClaimedOrigin {
  readonly unverifiedUser: string;
  readonly unverifiedTeam: string;
  readonly unverifiedChannel: string;
  /** block_actions, a slash command, … */
  readonly payloadType: string;
  /** The action_id clicked, or the command typed (never its text). */
  readonly action: string;
}

const slackId = /^[A-Z0-9]{2,24}$/;
const slashCommand = /^\/[a-z0-9_-]{1,32}$/;

function idOf(value: unknown): string {
  return typeof value === 'string' && slackId.test(value) ? value : value === undefined ? '-' : 'invalid';
}

function field(object: unknown, ...path: string[]): unknown {
  let at: unknown = object;
  for (const key of path) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

function firstAction(payload: unknown): unknown {
  const actions = field(payload, 'actions');
  return Array.isArray(actions) ? field(actions[0], 'action_id') : undefined;
}

function parseBody(body: string, contentType: string | undefined): unknown {
  try {
    if (contentType !== 'application/x-www-form-urlencoded') return JSON.parse(body) as unknown;
    const form = parseQuery(body);
    return typeof form['payload'] === 'string' ? (JSON.parse(form['payload']) as unknown) : form;
  } catch {
    return undefined;
  }
}

function commandOrAction(p: unknown): { type: unknown; action: unknown } {
  const command = field(p, 'command');
  if (typeof command !== 'string') return { type: field(p, 'type'), action: firstAction(p) };
  return { type: 'slash_command', action: slashCommand.test(command) ? command : 'invalid' };
}

function shown(value: unknown, shape: RegExp, absent: string): string {
  if (value === undefined) return absent;
  return typeof value === 'string' && shape.test(value) ? value : 'invalid';
}

/** Reads who the body claims to come from, without trusting any of it; anything that is not an ID is 'invalid'. */
export function claimedOrigin(body: string, contentType: string | undefined): ClaimedOrigin {
  const p = parseBody(body, contentType);
  const { type, action } = commandOrAction(p);
  return {
    unverifiedUser: idOf(field(p, 'user_id') ?? field(p, 'user', 'id') ?? field(p, 'event', 'user')),
    unverifiedTeam: idOf(field(p, 'team_id') ?? field(p, 'team', 'id')),
    unverifiedChannel: idOf(field(p, 'channel_id') ?? field(p, 'channel', 'id') ?? field(p, 'container', 'channel_id')),
    payloadType: p === undefined ? 'unreadable' : shown(type, /^[a-z_]{1,40}$/, 'unknown'),
    action: shown(action, /^[a-z0-9_/-]{1,64}$/i, '-'),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Checks the v0 signature with Bolt's own function; undefined when it holds, else why not. */
export function signatureProblem(
  req: IncomingMessage,
  body: string,
  signingSecret: string,
  nowMs = Date.now(),
): RefusalReason | undefined {
  const signature = header(req, 'x-slack-signature');
  const timestamp = Number(header(req, 'x-slack-request-timestamp'));
  if (signature === undefined || !Number.isFinite(timestamp)) return 'bad_signature';
  try {
    verifySlackRequest({
      signingSecret,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: nowMs,
    });
    return undefined;
  } catch (error) {
    return error instanceof Error && error.message.includes('stale') ? 'stale' : 'bad_signature';
  }
}

/** Reads the whole body, or undefined once it passes `limit` bytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/** Records refusals, at most `perWindow` one by one per window; the others are counted into one record when it ends. */
class RefusalRecorder {
  readonly #o: SignatureGuardOptions;
  #windowStart = 0;
  #recorded = 0;
  #suppressed: Record<RefusalReason, number> = { bad_signature: 0, stale: 0, body_too_large: 0 };
  #flush: NodeJS.Timeout | undefined;

  constructor(options: SignatureGuardOptions) {
    this.#o = options;
  }

  /** True when this refusal may be recorded on its own; false when the window's share is used up (it is counted). */
  #admit(reason: RefusalReason): boolean {
    const now = Date.now();
    const windowMs = this.#o.windowMs ?? 60_000;
    if (now - this.#windowStart >= windowMs) {
      this.#windowStart = now;
      this.#recorded = 0;
    }
    if (this.#recorded < (this.#o.perWindow ?? 20)) {
      this.#recorded += 1;
      return true;
    }
    this.#suppressed[reason] += 1;
    this.#flush ??= setTimeout(
      () => {
        void this.#summarize();
      },
      this.#windowStart + windowMs - now,
    ).unref();
    return false;
  }

  async refuse(reason: RefusalReason, origin: ClaimedOrigin | undefined): Promise<void> {
    if (!this.#admit(reason)) return;
    this.#o.log('warn', 'refused a request that is not signed by Slack', { reason, ...origin });
    const claim = origin
      ? ` claiming user ${origin.unverifiedUser} (team ${origin.unverifiedTeam}) in ${origin.unverifiedChannel}`
      : '';
    await this.#o.audit.record({
      kind: 'request.refused',
      decision: 'refused',
      reason,
      description: `unverified ${origin ? `${origin.payloadType} ${origin.action}` : 'request'}${claim}`,
      detail: { verified: false, ...origin },
    });
  }

  async #summarize(): Promise<void> {
    this.#flush = undefined;
    const counts = this.#suppressed;
    this.#suppressed = { bad_signature: 0, stale: 0, body_too_large: 0 };
    const total = counts.bad_signature + counts.stale + counts.body_too_large;
    if (total === 0) return;
    this.#o.log('warn', 'refused more requests not signed by Slack than are recorded one by one', { ...counts });
    await this.#o.audit.record({
      kind: 'request.refused',
      decision: 'refused',
      reason: 'flood',
      description: `${total} more unverified requests refused within ${Math.round((this.#o.windowMs ?? 60_000) / 1000)} s, counted, not recorded one by one`,
      detail: { verified: false, suppressed: total, ...counts },
    });
  }

  /** Writes the pending count now (on stop). */
  async close(): Promise<void> {
    if (this.#flush) clearTimeout(this.#flush);
    await this.#summarize();
  }
}

/** A request listener that refuses (401, 413) and audits what is not Slack's, and hands the rest to Bolt's. */
export interface SignatureGuard {
  wrap(next: RequestListener): RequestListener;
  /** Records the refusals still being counted. */
  close(): Promise<void>;
}

/**
 * Guards Bolt's listener. The body is read here (Bolt takes a request whose `rawBody` is already read as is, and
 * verifies the signature again), `ssl_check` posts go through unsigned as Bolt expects, other paths are untouched.
 */
export function guardSignatures(options: SignatureGuardOptions): SignatureGuard {
  const endpoints = options.endpoints ?? ['/slack/events'];
  const limit = options.bodyLimit ?? 4 * 1024 * 1024;
  const recorder = new RefusalRecorder(options);
  const check = async (req: IncomingMessage, res: ServerResponse, next: RequestListener): Promise<void> => {
    const raw = await readBody(req, limit);
    if (raw === undefined) {
      await recorder.refuse('body_too_large', undefined);
      res.writeHead(413).end();
      return;
    }
    const body = raw.toString('utf8');
    const contentType = header(req, 'content-type');
    const problem =
      contentType === 'application/x-www-form-urlencoded' && parseQuery(body)['ssl_check'] === '1'
        ? undefined
        : signatureProblem(req, body, options.signingSecret);
    if (problem) {
      res.writeHead(401).end();
      await recorder.refuse(problem, claimedOrigin(body, contentType));
      return;
    }
    Object.assign(req, { rawBody: raw });
    next(req, res);
  };
  return {
    wrap: (next) => (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method !== 'POST' || !endpoints.includes(path)) {
        next(req, res);
        return;
      }
      check(req, res, next).catch((error: unknown) => {
        options.log('warn', 'could not read a request to the events endpoint', {
          error: error instanceof Error ? error.message : String(error),
        });
        if (!res.headersSent) res.writeHead(400).end();
      });
    },
    close: () => recorder.close(),
  };
}
