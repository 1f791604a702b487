import type { ApiMethod } from '../../../src/console/in-process-slack/api-method.ts';
import { DEFAULT_BOT, InProcessSlack } from '../../../src/console/in-process-slack/in-process-slack.ts';
import type { ResponseUrls } from '../../../src/console/in-process-slack/response-urls.ts';
import type { SlackDriver } from '../../../src/console/in-process-slack/slack-driver.ts';
import type {
  ChannelSeed,
  EphemeralMessage,
  RecordedCall as SlackCall,
  StoredMessage,
  UserSeed,
  UsergroupSeed,
} from '../../../src/console/in-process-slack/slack-types.ts';
import type { Workspace } from '../../../src/console/in-process-slack/workspace.ts';
import { CallWaiter } from './call-waiter.ts';
import type { WaitForOptions } from './call-waiter.ts';
import { EmulatorClock } from './emulator-clock.ts';
import type { EmulatorClockOptions } from './emulator-clock.ts';
import { FaultInjector } from './fault-injector.ts';
import type { Fault } from './fault-injector.ts';
import { faultInterceptor, faultOutcome, sendFault } from './fault-reply.ts';
import { RateLimits, type RateLimitOptions } from './rate-limits.ts';
import { SocketDriver } from './socket-driver.ts';
import { SocketModeServer } from './socket-mode.ts';
import { testOnlyMethods } from './test-only-methods.ts';
import { WarningLog } from './warning-log.ts';
import type { EmulatorWarning, WarningCode } from './warning-log.ts';

/** One request the bot made, as the emulator saw and answered it; `fault` is set when a scripted fault answered. */
export type RecordedCall = SlackCall<Fault>;

/** A predicate over recorded calls. */
export type CallPredicate = (call: RecordedCall) => boolean;

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
  /**
   * Enforce Slack's documented rate limits (chat.postMessage per channel, chat.update per workspace), answering 429
   * with Retry-After; `true` for the defaults of rate-limits.ts. Default off.
   */
  readonly rateLimits?: boolean | RateLimitOptions;
}

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

/** What an emulator is made of. */
interface Parts {
  readonly slack: InProcessSlack<Fault>;
  readonly appToken: string;
  readonly socket: SocketModeServer;
  readonly clock: EmulatorClock;
  readonly faults: FaultInjector;
  readonly warnings: WarningLog;
  /** Latency waits still running, cancelled on stop. */
  readonly timers: Set<NodeJS.Timeout>;
  readonly limits: RateLimits | undefined;
}

/** Waits `ms` of real time on a timer that stop() can cancel. */
function delay(timers: Set<NodeJS.Timeout>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });
}

/**
 * A Slack stand-in for end-to-end tests (docs/slack-emulator.md): the console's in-process Slack (the Web API,
 * response_urls, a Block Kit validator and a signing driver on one 127.0.0.1 server) with the test equipment around
 * it: seeded test secrets and people, scripted faults and latency, an injectable clock, warnings, `waitFor`, and
 * Socket Mode on the same server. The bot runs unmodified against it with only `slackApiUrl` and the signing secret
 * (or the app-level token) changed.
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
  readonly faults: FaultInjector;
  readonly workspace: Workspace;
  readonly responseUrls: ResponseUrls;
  readonly #slack: InProcessSlack<Fault>;
  readonly #warnings: WarningLog;
  readonly #waiter: CallWaiter<Fault>;
  readonly #timers: Set<NodeJS.Timeout>;
  readonly #limits: RateLimits | undefined;

  private constructor(parts: Parts) {
    const { slack } = parts;
    this.url = slack.url;
    this.apiUrl = slack.apiUrl;
    this.signingSecret = slack.signingSecret;
    this.botToken = slack.botToken;
    this.appToken = parts.appToken;
    this.socket = parts.socket;
    this.clock = parts.clock;
    this.faults = parts.faults;
    this.workspace = slack.workspace;
    this.responseUrls = slack.responseUrls;
    this.#slack = slack;
    this.#warnings = parts.warnings;
    this.#waiter = new CallWaiter(slack);
    this.#timers = parts.timers;
    this.#limits = parts.limits;
  }

  /** Starts an emulator on 127.0.0.1 and resolves once it listens. */
  static async start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    const clock = new EmulatorClock(options.clock);
    const warnings = new WarningLog(options.allowWarnings ?? [], clock);
    const faults = new FaultInjector();
    const timers = new Set<NodeJS.Timeout>();
    const appToken = options.appToken ?? 'xapp-test';
    const limits = options.rateLimits
      ? new RateLimits(options.rateLimits === true ? {} : options.rateLimits, clock)
      : undefined;
    const faulty = faultInterceptor(faults, (ms) => delay(timers, ms));
    const socket = new SocketModeServer({
      appId: DEFAULT_BOT.appId,
      baseUrl: (): string => slack.url,
      ...(options.socketPingIntervalMs === undefined ? {} : { pingIntervalMs: options.socketPingIntervalMs }),
    });
    const slack = await InProcessSlack.start<Fault>({
      signingSecret: options.signingSecret ?? 'test-signing-secret',
      botToken: options.botToken ?? 'xoxb-test',
      users: options.users ?? DEFAULT_USERS,
      channels: options.channels ?? DEFAULT_CHANNELS,
      usergroups: options.usergroups ?? DEFAULT_USERGROUPS,
      strict: options.strict,
      methods: { ...testOnlyMethods, ...options.methods },
      port: options.port,
      hooks: {
        clock,
        observer: warnings,
        intercept: async (call) => {
          const scripted = await faulty(call);
          if (scripted || !limits) return scripted;
          const retryAfter = limits.check(call.method, call.params);
          if (retryAfter === undefined) return undefined;
          const fault = { status: 429 as const, retryAfter };
          return { ...faultOutcome(fault), fault, reply: (res) => sendFault(res, fault) };
        },
        upgrade: (req, connection, head) => socket.handleUpgrade(req, connection, head),
        appLevel: {
          token: appToken,
          methods: { 'apps.connections.open': () => ({ ok: true, url: socket.issueUrl() }) },
        },
      },
    });
    return new SlackEmulator({ slack, appToken, socket, clock, faults, warnings, timers, limits });
  }

  /** Stops listening, drops open connections and rejects pending `waitFor`s. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#waiter.cancelAll('SlackEmulator stopped');
    await this.socket.stop();
    await this.#slack.stop();
  }

  /** Calls answered 429 because they broke Slack's rate limits (only with `rateLimits`), per method. */
  get rateLimited(): ReadonlyMap<string, number> {
    return new Map(this.#limits?.refused ?? []);
  }

  /** Every call the bot made so far (Web API methods and `response_url` posts), oldest first. */
  get calls(): readonly RecordedCall[] {
    return this.#slack.calls;
  }

  /** The calls of one method. */
  callsTo(method: string): RecordedCall[] {
    return this.#slack.calls.filter((call) => call.method === method);
  }

  /** Resolves with the first matching call (past or future); see {@link WaitForOptions}. */
  waitFor(predicate: CallPredicate, options?: WaitForOptions): Promise<RecordedCall> {
    return this.#waiter.waitFor(predicate, options);
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
    return this.#slack.driver(botUrl);
  }

  /** A driver that sends Slack's envelopes to the bot connected over Socket Mode. */
  socketDriver(): SocketDriver {
    return new SocketDriver(
      {
        workspace: this.workspace,
        responseUrls: this.responseUrls,
        clock: this.clock,
        observer: this.#warnings,
        appId: DEFAULT_BOT.appId,
      },
      this.socket,
    );
  }
}
