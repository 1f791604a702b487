import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiMethod, SlackState } from './api-method.ts';
import { readBody } from './api-request.ts';
import { CallRecorder } from './call-recorder.ts';
import type { CallListener } from './call-recorder.ts';
import { chatMethods } from './chat-methods.ts';
import { directoryMethods } from './directory-methods.ts';
import { sendJson } from './http-reply.ts';
import { ResponseUrls } from './response-urls.ts';
import { SlackDriver } from './slack-driver.ts';
import type {
  CallInterceptor,
  ChannelSeed,
  Clock,
  RecordedCall,
  SlackObserver,
  UserSeed,
  UsergroupSeed,
} from './slack-types.ts';
import { WebApi } from './web-api.ts';
import { Workspace } from './workspace.ts';
import type { BotIdentity } from './workspace.ts';

/** Web API methods that take an app-level token (`xapp-…`) instead of the bot's, and the token they take. */
export interface AppLevelMethods {
  readonly token: string;
  readonly methods: Readonly<Record<string, ApiMethod>>;
}

/** Takes over an HTTP upgrade request (a WebSocket); `head` is what the client sent after the request's headers. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * What a wrapper may add. The console adds none of it; the tests' emulator (test/support/slack-emulator/) adds its
 * injectable clock, its warnings, scripted faults and Socket Mode through these.
 */
export interface InProcessSlackHooks<F> {
  /** Time for message timestamps and response_url expiry. Default: the wall clock. */
  readonly clock?: Clock;
  /** Told what Slack accepted. Default: nobody. */
  readonly observer?: SlackObserver;
  /** May answer a Web API call or response_url post instead of its method. Default: none. */
  readonly intercept?: CallInterceptor<F>;
  /** Takes over HTTP upgrades. Default: upgrades are refused. */
  readonly upgrade?: UpgradeHandler;
  /** Methods for an app-level token, such as `apps.connections.open`. Default: none. */
  readonly appLevel?: AppLevelMethods;
}

/** Configuration for {@link InProcessSlack.start}; every field has a working default. */
export interface InProcessSlackOptions<F> {
  /** The app's signing secret, shared with the bot. Default: a fresh random one. */
  readonly signingSecret?: string;
  /** The bot token the Web API accepts. Default: a fresh random `xoxb-…`. */
  readonly botToken?: string;
  /** People in the workspace; the bot user ({@link DEFAULT_BOT}) is always added. Default: nobody else. */
  readonly users?: readonly UserSeed[];
  /** Conversations. Default: none. */
  readonly channels?: readonly ChannelSeed[];
  /** User groups. Default: none. */
  readonly usergroups?: readonly UsergroupSeed[];
  /** Unknown methods answer `unknown_method` and dubious threading is noticed. Default true. */
  readonly strict?: boolean;
  /** Extra or replacement Web API methods. */
  readonly methods?: Readonly<Record<string, ApiMethod>>;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  readonly port?: number;
  readonly hooks?: InProcessSlackHooks<F>;
}

/** The app's identity in the workspace. */
export const DEFAULT_BOT: BotIdentity = { userId: 'U0BOT', botId: 'B0BOT', appId: 'A0APP' };

const HOOK_METHOD = 'response_url';
const wallClock: Clock = { now: () => Date.now() };
const nobody: SlackObserver = { noticed: () => undefined, accepted: () => undefined, posted: () => undefined };

function listen(server: Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function seedWorkspace<F>(options: InProcessSlackOptions<F>, clock: Clock): Workspace {
  return new Workspace({
    teamId: 'T0001',
    teamDomain: 'emu',
    bot: DEFAULT_BOT,
    users: [{ id: DEFAULT_BOT.userId, name: 'coxswain', isBot: true }, ...(options.users ?? [])],
    channels: options.channels ?? [],
    usergroups: options.usergroups ?? [],
    clock,
  });
}

/**
 * Slack for `coxswain console` (docs/slack-emulator.md): the Web API the bot's WebClient calls, response_urls, Block
 * Kit validation and a driver that signs slash commands and clicks as Slack does, on one 127.0.0.1 server, so the real
 * bot runs unmodified against it with only `slackApiUrl` and the signing secret changed. Every call is recorded, for
 * the console to show what Slack would.
 */
export class InProcessSlack<F = never> {
  /** Base URL of the server, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What to pass as `slackApiUrl`: `http://127.0.0.1:<port>/api/`. */
  readonly apiUrl: string;
  readonly signingSecret: string;
  readonly botToken: string;
  readonly workspace: Workspace;
  readonly responseUrls: ResponseUrls;
  readonly #clock: Clock;
  readonly #observer: SlackObserver;
  readonly #intercept: CallInterceptor<F> | undefined;
  readonly #recorder = new CallRecorder<F>();
  readonly #server: Server;
  readonly #webApi: WebApi<F>;

  private constructor(options: InProcessSlackOptions<F>, server: Server, address: AddressInfo) {
    const hooks = options.hooks ?? {};
    this.url = `http://127.0.0.1:${address.port}`;
    this.apiUrl = `${this.url}/api/`;
    this.signingSecret = options.signingSecret ?? randomBytes(16).toString('hex');
    this.botToken = options.botToken ?? `xoxb-${randomBytes(12).toString('hex')}`;
    this.#server = server;
    this.#clock = hooks.clock ?? wallClock;
    this.#observer = hooks.observer ?? nobody;
    this.#intercept = hooks.intercept;
    this.workspace = seedWorkspace(options, this.#clock);
    this.responseUrls = new ResponseUrls({
      workspace: this.workspace,
      clock: this.#clock,
      observer: this.#observer,
      baseUrl: () => this.url,
    });
    this.#webApi = this.#createWebApi(options);
  }

  /** Starts on 127.0.0.1 and resolves once it listens. */
  static async start<F = never>(options: InProcessSlackOptions<F> = {}): Promise<InProcessSlack<F>> {
    const ready: { slack?: InProcessSlack<F> } = {};
    const server = createServer((req, res) => {
      if (ready.slack) void ready.slack.#route(req, res);
      else res.writeHead(503).end();
    });
    const upgrade = options.hooks?.upgrade;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (ready.slack && upgrade) upgrade(req, socket, head);
      else socket.destroy();
    });
    const address = await listen(server, options.port ?? 0);
    ready.slack = new InProcessSlack(options, server, address);
    return ready.slack;
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Every call the bot made so far (Web API methods and `response_url` posts), oldest first. */
  get calls(): readonly RecordedCall<F>[] {
    return this.#recorder.calls;
  }

  /** Tells `listener` of every call from now on; returns what stops it. */
  onCall(listener: CallListener<F>): () => void {
    return this.#recorder.onCall(listener);
  }

  /** A driver that sends Slack's requests to the bot at `botUrl` (e.g. `http://127.0.0.1:3000/slack/events`). */
  driver(botUrl: string): SlackDriver {
    return new SlackDriver({
      botUrl,
      signingSecret: this.signingSecret,
      workspace: this.workspace,
      responseUrls: this.responseUrls,
      clock: this.#clock,
      observer: this.#observer,
      appId: DEFAULT_BOT.appId,
    });
  }

  #createWebApi(options: InProcessSlackOptions<F>): WebApi<F> {
    const appLevel = options.hooks?.appLevel;
    const state: SlackState = {
      workspace: this.workspace,
      observer: this.#observer,
      clock: this.#clock,
      strict: options.strict ?? true,
    };
    return new WebApi({
      state,
      methods: { ...directoryMethods, ...chatMethods, ...appLevel?.methods, ...options.methods },
      tokens: new Map([[this.botToken, DEFAULT_BOT]]),
      appTokens: new Map(appLevel ? [[appLevel.token, DEFAULT_BOT]] : []),
      appTokenMethods: new Set(Object.keys(appLevel?.methods ?? {})),
      recorder: this.#recorder,
      intercept: this.#intercept,
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.url);
      if (url.pathname.startsWith('/api/'))
        await this.#webApi.handle(req, res, url.pathname.slice('/api/'.length), url.searchParams);
      else if (url.pathname.startsWith('/hooks/') && req.method === 'POST') await this.#hook(req, res, url.pathname);
      else sendJson(res, 404, { ok: false, error: 'not_found' });
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'emulator_error', detail: String(error) });
    }
  }

  async #hook(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const params = parseHookBody(await readBody(req));
    const intercepted = await this.#intercept?.({ method: HOOK_METHOD, params });
    const base = { method: HOOK_METHOD, params, token: undefined, headers: req.headers, time: this.#clock.now() };
    if (intercepted) {
      this.#recorder.record({
        ...base,
        status: intercepted.status,
        result: intercepted.result,
        fault: intercepted.fault,
      });
      intercepted.reply(res);
      return;
    }
    const answer = this.responseUrls.handle(path, params);
    this.#recorder.record({ ...base, status: answer.status, result: answer.result });
    sendJson(res, answer.status, answer.result);
  }
}

function parseHookBody(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    const form = Object.fromEntries(new URLSearchParams(body));
    return typeof form.payload === 'string' ? parseHookBody(form.payload) : form;
  }
}
