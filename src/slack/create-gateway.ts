// The Bolt app: Slack's signature check on every request (the real HTTPReceiver,
// or Socket Mode when an app token is configured), /k8s, and health endpoints.
// Over HTTP a guard checks the signature first, so that refusals are audited.
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { App, HTTPReceiver, SocketModeReceiver, type CustomRoute } from '@slack/bolt';
import { slackLogger } from '../log/slack-logger.ts';
import { slackLogLevel } from './create-web-client.ts';
import type { Config } from '../config/load-config.ts';
import { serveHealth, type Readiness } from '../metrics/health-server.ts';
import { handleCommand, type GatewayDeps } from './handle-command.ts';
import { guardSignatures, type SignatureGuard } from './signature-guard.ts';

/** Options of createGateway. */
export interface GatewayOptions {
  readonly config: Config;
  readonly deps: GatewayDeps;
  /** Resolves true when the gateway can take work (Redis answers). */
  readonly ready: Readiness;
  /** Registers more listeners (the approval buttons) on the Bolt app. */
  readonly extend?: (app: App) => void;
}

/** A started gateway. */
export interface Gateway {
  /** The HTTP port actually bound (PORT may be 0 in tests). */
  readonly port: number;
  stop(): Promise<void>;
}

function healthRoutes(ready: Readiness): CustomRoute[] {
  const handle = serveHealth(ready);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res);
  };
  return ['/healthz', '/readyz', '/metrics'].map((path) => ({ path, method: ['GET'], handler }));
}

interface BuiltApp {
  readonly app: App;
  readonly receiver: HTTPReceiver | SocketModeReceiver;
  /** Over HTTP only: Socket Mode requests come over an authenticated WebSocket and carry no signature. */
  readonly guard?: SignatureGuard;
}

/** Puts the signature guard in front of the receiver's request listener (Bolt's server calls it per request). */
function guardReceiver(receiver: HTTPReceiver, options: GatewayOptions): SignatureGuard {
  const guard = guardSignatures({
    signingSecret: options.config.slack.signingSecret,
    audit: options.deps.audit,
    log: options.deps.log,
  });
  receiver.requestListener = guard.wrap(receiver.requestListener);
  return guard;
}

function buildApp(options: GatewayOptions): BuiltApp {
  const { config } = options;
  const level = slackLogLevel(config.logLevel);
  const logger = slackLogger(options.deps.log, 'bolt', level);
  const customRoutes = healthRoutes(options.ready);
  const receiver = config.slack.appToken
    ? // SocketModeReceiver calls apps.connections.open through its own WebClient: it needs the API URL as well.
      new SocketModeReceiver({
        appToken: config.slack.appToken,
        customRoutes,
        installerOptions: { port: config.port, clientOptions: { slackApiUrl: config.slack.apiUrl } },
        logger,
        logLevel: level,
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret,
        endpoints: '/slack/events',
        customRoutes,
        logger,
        logLevel: level,
      });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    clientOptions: { slackApiUrl: config.slack.apiUrl },
    logger,
    logLevel: level,
    // Bolt's conversation store keeps per-conversation state in memory on every request; Coxswain keeps its state in
    // Redis.
    convoStore: false,
  });
  return { app, receiver, ...(receiver instanceof HTTPReceiver ? { guard: guardReceiver(receiver, options) } : {}) };
}

/**
 * The port of SocketModeReceiver's health-route server, which Bolt keeps private; read so that PORT=0 (tests)
 * reports the port actually bound rather than 0.
 */
function socketModePort(receiver: HTTPReceiver | SocketModeReceiver): number | undefined {
  if (!(receiver instanceof SocketModeReceiver)) return undefined;
  const address = (receiver as unknown as { httpServer?: Server }).httpServer?.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

/** Builds and starts the gateway on config.port. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { app, receiver, guard } = buildApp(options);
  options.extend?.(app);
  app.command('/k8s', async ({ command, ack, respond }) => {
    const answer = await handleCommand(options.deps, command);
    await ack(answer.ack);
    if (!answer.after) return;
    // Ack first, also for the requests behind this one: whatever else the event loop has in hand (requests read,
    // Redis claims answered) runs before this request's follow-up work starts.
    await yieldToEventLoop();
    await answer.after(async (message) => {
      await respond({ ...message, replace_original: false }).catch((error: unknown) => {
        options.deps.log('warn', 'could not answer through the response_url', {
          error: error instanceof Error ? error.message : String(error),
        });
      });
    });
  });
  const started = (await app.start(options.config.port)) as unknown;
  const server = started as Server | undefined;
  const address = server?.address?.() as AddressInfo | null | undefined;
  return {
    port: address?.port ?? socketModePort(receiver) ?? options.config.port,
    stop: async () => {
      await app.stop();
      await guard?.close();
    },
  };
}
