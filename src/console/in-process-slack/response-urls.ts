import { randomBytes } from 'node:crypto';
import { flagParam, stringParam } from './api-method.ts';
import type { ApiResult, Clock, EphemeralMessage, MessageContent, SlackObserver } from './slack-types.ts';
import { contentError, readContent } from './message-content.ts';
import type { Workspace } from './workspace.ts';

/** Slack's documented limits: "up to 5 times within 30 minutes". */
export const RESPONSE_URL_MAX_USES = 5;
/** Lifetime of a response_url on the in-process Slack's clock. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

/** The message a response_url may replace or delete. */
export type HookSource =
  | { readonly kind: 'channel'; readonly channel: string; readonly ts: string }
  | { readonly kind: 'ephemeral'; readonly message: EphemeralMessage };

/** Who a response_url was issued to. */
export interface HookBinding {
  readonly user: string;
  readonly channel: string;
  readonly source?: HookSource;
}

interface HookState extends HookBinding {
  readonly kind: 'commands' | 'actions';
  readonly createdAt: number;
  uses: number;
  source?: HookSource;
}

/** Dependencies of {@link ResponseUrls}. */
export interface ResponseUrlsOptions {
  readonly workspace: Workspace;
  readonly clock: Clock;
  readonly observer: SlackObserver;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  readonly baseUrl: () => string;
}

/** The HTTP answer to a response_url post. */
export interface HookAnswer {
  readonly status: number;
  readonly result: ApiResult;
}

const METHOD = 'response_url';

/**
 * Issues and serves response_urls (§3.1, §7.3) on the in-process Slack's own server, with Slack's use and time limits,
 * so a console user sees what Slack users see when a job finishes after 30 minutes or respond() is called a sixth time.
 */
export class ResponseUrls {
  readonly #hooks = new Map<string, HookState>();
  readonly #options: ResponseUrlsOptions;
  #serial = 397700885554;

  constructor(options: ResponseUrlsOptions) {
    this.#options = options;
  }

  /** A fresh URL bound to the invoking user, the channel and (for interactions) the source message. */
  issue(kind: 'commands' | 'actions', binding: HookBinding): string {
    this.#serial += 1;
    const path = `/hooks/${kind}/${this.#options.workspace.teamId}/${this.#serial}/${randomBytes(12).toString('hex')}`;
    this.#hooks.set(path, { ...binding, kind, createdAt: this.#options.clock.now(), uses: 0 });
    return `${this.#options.baseUrl()}${path}`;
  }

  /** Makes `source` the message that `replace_original`/`delete_original` act on (a command's ack message). */
  setSource(url: string, source: HookSource): void {
    const hook = this.#hooks.get(new URL(url).pathname);
    if (hook) hook.source = source;
  }

  /** Answers a POST to a response_url path. */
  handle(path: string, params: Record<string, unknown>): HookAnswer {
    const hook = this.#hooks.get(path);
    if (!hook) return { status: 404, result: { ok: false, error: 'no_such_url' } };
    if (this.#options.clock.now() - hook.createdAt > RESPONSE_URL_LIFETIME_MS)
      return { status: 404, result: { ok: false, error: 'expired_url' } };
    if (hook.uses >= RESPONSE_URL_MAX_USES) return { status: 404, result: { ok: false, error: 'used_url' } };
    if (flagParam(params, 'delete_original')) {
      hook.uses += 1;
      this.#deleteSource(hook);
      return { status: 200, result: { ok: true } };
    }
    const content = readContent(params);
    const invalid = contentError(content);
    if (invalid) return { status: 400, result: invalid };
    hook.uses += 1;
    this.#options.observer.accepted(content, { method: METHOD, channel: hook.channel });
    if (flagParam(params, 'replace_original') && this.#replaceSource(hook, content))
      return { status: 200, result: { ok: true } };
    this.#postNew(hook, content, params);
    return { status: 200, result: { ok: true } };
  }

  #deleteSource(hook: HookState): void {
    const source = hook.source;
    if (source?.kind === 'channel') this.#options.workspace.delete(source.channel, source.ts);
    else if (source?.kind === 'ephemeral') this.#options.workspace.deleteEphemeral(source.message);
    else
      this.#options.observer.noticed('no_original_message', 'delete_original with no original message', {
        method: METHOD,
        channel: hook.channel,
      });
  }

  #replaceSource(hook: HookState, content: MessageContent): boolean {
    const source = hook.source;
    if (source?.kind === 'channel')
      return this.#options.workspace.replace(source.channel, source.ts, content) !== undefined;
    if (source?.kind === 'ephemeral') {
      this.#options.workspace.replaceEphemeral(source.message, content);
      return true;
    }
    this.#options.observer.noticed(
      'no_original_message',
      'replace_original with no original message; posted a new one',
      { method: METHOD, channel: hook.channel },
    );
    return false;
  }

  #postNew(hook: HookState, content: MessageContent, params: Record<string, unknown>): void {
    const { workspace, observer } = this.#options;
    const threadTs = stringParam(params, 'thread_ts');
    if (params.response_type === 'in_channel') {
      const message = workspace.post(hook.channel, content, {
        user: workspace.bot.userId,
        botId: workspace.bot.botId,
        appId: workspace.bot.appId,
        ...(threadTs === undefined ? {} : { threadTs }),
      });
      observer.posted(hook.channel, METHOD);
      if (hook.kind === 'commands') hook.source = { kind: 'channel', channel: hook.channel, ts: message.ts };
      return;
    }
    const message = workspace.addEphemeral({
      channel: hook.channel,
      user: hook.user,
      text: content.text ?? '',
      ...(content.blocks === undefined ? {} : { blocks: content.blocks }),
      ...(content.attachments === undefined ? {} : { attachments: content.attachments }),
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      via: 'response_url',
    });
    if (hook.kind === 'commands') hook.source = { kind: 'ephemeral', message };
  }
}
