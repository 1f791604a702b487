import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiMethod, EmulatorState } from './api-method.ts';
import { readBody } from './api-request.ts';
import { CallRecorder } from './call-recorder.ts';
import type { CallPredicate, WaitForOptions } from './call-recorder.ts';
import { chatMethods } from './chat-methods.ts';
import { directoryMethods } from './directory-methods.ts';
import { EmulatorClock } from './emulator-clock.ts';
import type { EmulatorClockOptions } from './emulator-clock.ts';
import type {
  ChannelSeed,
  EmulatorWarning,
  EphemeralMessage,
  RecordedCall,
  StoredMessage,
  UserSeed,
  UsergroupSeed,
  WarningCode,
} from './emulator-types.ts';
import { FaultInjector } from './fault-injector.ts';
import { faultOutcome, sendFault, sendJson } from './http-reply.ts';
import { ResponseUrls } from './response-urls.ts';
import { SlackDriver } from './slack-driver.ts';
import { SocketDriver } from './socket-driver.ts';
import { SocketModeServer } from './socket-mode.ts';
import { WarningLog } from './warning-log.ts';
import { WebApi } from './web-api.ts';
import { Workspace } from './workspace.ts';
import type { BotIdentity } from './workspace.ts';

/** Configuration for {@link SlackEmulator.start}; every field has a working default. */
export interface SlackEmulatorOptions {
  /** The app's signing secret, shared with the bot. Default `test-signing-secret`. */
  readonly signingSecret?: string;
  /** The bot token the Web API accepts. Default `xoxb-test`. */
  readonly botToken?: string;
  /** The app-level token `apps.connections.open` accepts (Socket Mode). Default `xapp-test`. */
  readonly appToken?: string;
  /** Interval of the Socket Mode server's pings. Default 5000 ms. */
  readonly socketPingIntervalMs?: number;
  /** People in the workspace; the bot user U0BOT is always added. Default: U0ALICE, U0BOB, U0CAROL. */
  readonly users?: readonly UserSeed[];
  /** Conversations. Default: C0OPS (#ops, everyone), C0ALERTS (#alerts, bot only), C0RANDOM (#random, no bot). */
  readonly channels?: readonly ChannelSeed[];
  /** User groups. Default: S0ADMINS (@k8s-admins: U0ALICE). */
  readonly usergroups?: readonly UsergroupSeed[];
  /** Unknown methods answer `unknown_method` and dubious threading is flagged. Default true. */
  readonly strict?: boolean;
  /** Warning codes not to record (e.g. `channel_rate` in a test that posts in bursts). Default none. */
  readonly allowWarnings?: readonly WarningCode[];
  /** Clock setup. Default: real time, moved on by `clock.advance`. */
  readonly clock?: EmulatorClockOptions;
  /** Extra or replacement Web API methods. */
  readonly methods?: Readonly<Record<string, ApiMethod>>;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  readonly port?: number;
}

/** The app's identity in the default workspace. */
export const DEFAULT_BOT: BotIdentity = { userId: 'U0BOT', botId: 'B0BOT', appId: 'A0APP' };

const DEFAULT_USERS: readonly UserSeed[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Admin', isAdmin: true },
  { id: 'U0BOB', name: 'bob', realName: 'Bob Builder' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Careful' },
];

const DEFAULT_CHANNELS: readonly ChannelSeed[] = [
  { id: 'C0OPS', name: 'ops', members: ['U0BOT', 'U0ALICE', 'U0BOB', 'U0CAROL'] },
  { id: 'C0ALERTS', name: 'alerts', members: ['U0BOT'] },
  { id: 'C0RANDOM', name: 'random', members: ['U0ALICE', 'U0BOB'] },
];

const DEFAULT_USERGROUPS: readonly UsergroupSeed[] = [{ id: 'S0ADMINS', handle: 'k8s-admins', users: ['U0ALICE'] }];

function listen(server: Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * A Slack stand-in for end-to-end tests (docs/slack-emulator.md): the Web API, response_urls, a Block Kit validator
 * and a signing driver on one 127.0.0.1 server, so the bot runs unmodified against it with only `slackApiUrl` and the
 * signing secret changed.
 */
export class SlackEmulator {
  /** Base URL of the server, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What to pass as `slackApiUrl`: `http://127.0.0.1:<port>/api/`. */
  readonly apiUrl: string;
  readonly signingSecret: string;
  readonly botToken: string;
  /** The app-level token for Socket Mode (`SLACK_APP_TOKEN`). */
  readonly appToken: string;
  /** The Socket Mode endpoint: `disconnect(reason)`, `waitForConnections(n)`, `history` of envelopes. */
  readonly socket: SocketModeServer;
  readonly clock: EmulatorClock;
  readonly faults = new FaultInjector();
  readonly workspace: Workspace;
  readonly responseUrls: ResponseUrls;
  readonly #recorder = new CallRecorder();
  readonly #warnings: WarningLog;
  readonly #server: Server;
  readonly #webApi: WebApi;
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(options: SlackEmulatorOptions, server: Server, address: AddressInfo) {
    this.url = `http://127.0.0.1:${address.port}`;
    this.apiUrl = `${this.url}/api/`;
    this.signingSecret = options.signingSecret ?? 'test-signing-secret';
    this.botToken = options.botToken ?? 'xoxb-test';
    this.appToken = options.appToken ?? 'xapp-test';
    this.socket = new SocketModeServer({ appId: DEFAULT_BOT.appId, baseUrl: () => this.url, ...(options.socketPingIntervalMs === undefined ? {} : { pingIntervalMs: options.socketPingIntervalMs }) });
    this.clock = new EmulatorClock(options.clock);
    this.#server = server;
    this.#warnings = new WarningLog(options.allowWarnings ?? [], this.clock);
    this.workspace = new Workspace({
      teamId: 'T0001',
      teamDomain: 'emu',
      bot: DEFAULT_BOT,
      users: [{ id: DEFAULT_BOT.userId, name: 'coxswain', isBot: true }, ...(options.users ?? DEFAULT_USERS)],
      channels: options.channels ?? DEFAULT_CHANNELS,
      usergroups: options.usergroups ?? DEFAULT_USERGROUPS,
      clock: this.clock,
    });
    const state: EmulatorState = { workspace: this.workspace, warnings: this.#warnings, clock: this.clock, strict: options.strict ?? true };
    this.responseUrls = new ResponseUrls({ workspace: this.workspace, clock: this.clock, warnings: this.#warnings, baseUrl: () => this.url });
    this.#webApi = new WebApi({
      state,
      methods: { ...directoryMethods, ...chatMethods, 'apps.connections.open': () => ({ ok: true, url: this.socket.issueUrl() }), ...options.methods },
      tokens: new Map([[this.botToken, DEFAULT_BOT]]),
      appTokens: new Map([[this.appToken, DEFAULT_BOT]]),
      appTokenMethods: new Set(['apps.connections.open']),
      faults: this.faults,
      recorder: this.#recorder,
      delay: (ms) => this.#delay(ms),
    });
  }

  /** Starts an emulator on 127.0.0.1 and resolves once it listens. */
  static async start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    const ready: { emulator?: SlackEmulator } = {};
    const server = createServer((req, res) => {
      if (ready.emulator) void ready.emulator.#route(req, res);
      else res.writeHead(503).end();
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      if (ready.emulator) ready.emulator.socket.handleUpgrade(req, socket);
      else socket.destroy();
    });
    const address = await listen(server, options.port ?? 0);
    ready.emulator = new SlackEmulator(options, server, address);
    return ready.emulator;
  }

  /** Stops listening, drops open connections and rejects pending `waitFor`s. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#recorder.cancelAll('SlackEmulator stopped');
    await this.socket.stop();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Every call the bot made so far (Web API methods and `response_url` posts), oldest first. */
  get calls(): readonly RecordedCall[] {
    return this.#recorder.calls;
  }

  /** The calls of one method. */
  callsTo(method: string): RecordedCall[] {
    return this.#recorder.calls.filter((call) => call.method === method);
  }

  /** Resolves with the first matching call (past or future); see {@link WaitForOptions}. */
  waitFor(predicate: CallPredicate, options?: WaitForOptions): Promise<RecordedCall> {
    return this.#recorder.waitFor(predicate, options);
  }

  /** Accepted-but-suspect things the bot did (§7.4). Assert it is empty at the end of a test. */
  get blockKitWarnings(): EmulatorWarning[] {
    return this.#warnings.list;
  }

  /** Channel history: top-level messages and broadcast replies, oldest first (copies). */
  messages(channel: string): StoredMessage[] {
    return structuredClone(this.workspace.history(channel));
  }

  /** A thread: its parent first, then the replies, oldest first (copies). */
  thread(channel: string, ts: string): StoredMessage[] {
    return structuredClone(this.workspace.thread(channel, ts));
  }

  /** Ephemeral messages shown to a user, oldest first (copies). */
  ephemerals(user: string): EphemeralMessage[] {
    return structuredClone(this.workspace.ephemeralsFor(user));
  }

  /** A driver that sends Slack's requests to the bot at `botUrl` (e.g. `http://127.0.0.1:3000/slack/events`). */
  driver(botUrl: string): SlackDriver {
    return new SlackDriver({
      botUrl,
      signingSecret: this.signingSecret,
      workspace: this.workspace,
      responseUrls: this.responseUrls,
      clock: this.clock,
      warnings: this.#warnings,
      appId: DEFAULT_BOT.appId,
    });
  }

  /** A driver that sends Slack's envelopes to the bot connected over Socket Mode. */
  socketDriver(): SocketDriver {
    return new SocketDriver({ workspace: this.workspace, responseUrls: this.responseUrls, clock: this.clock, warnings: this.#warnings, appId: DEFAULT_BOT.appId }, this.socket);
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.url);
      if (url.pathname.startsWith('/api/')) await this.#webApi.handle(req, res, url.pathname.slice('/api/'.length), url.searchParams);
      else if (url.pathname.startsWith('/hooks/') && req.method === 'POST') await this.#hook(req, res, url.pathname);
      else sendJson(res, 404, { ok: false, error: 'not_found' });
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'emulator_error', detail: String(error) });
    }
  }

  async #hook(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    const params = parseHookBody(body);
    const latency = this.faults.delayFor('response_url');
    if (latency > 0) await this.#delay(latency);
    const base = { method: 'response_url', params, token: undefined, headers: req.headers, time: this.clock.now() };
    const fault = this.faults.take('response_url', params);
    if (fault) {
      this.#recorder.record({ ...base, ...faultOutcome(fault), fault });
      sendFault(res, fault);
      return;
    }
    const answer = this.responseUrls.handle(path, params);
    this.#recorder.record({ ...base, status: answer.status, result: answer.result });
    sendJson(res, answer.status, answer.result);
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

function parseHookBody(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {};
  } catch {
    const form = Object.fromEntries(new URLSearchParams(body));
    return typeof form.payload === 'string' ? parseHookBody(form.payload) : form;
  }
}
