// The Bolt app: Slack's signature check on every request (the real HTTPReceiver,
// or Socket Mode when an app token is configured), /k8s, and health endpoints.
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type CustomRoute } from '@slack/bolt';
import type { Config } from '../config/load-config.ts';
import { handleCommand, type GatewayDeps } from './handle-command.ts';

/** Options of createGateway. */
export interface GatewayOptions {
  readonly config: Config;
  readonly deps: GatewayDeps;
  /** Resolves true when the gateway can take work (Redis answers). */
  readonly ready: () => Promise<boolean>;
  /** Registers more listeners (the approval buttons) on the Bolt app. */
  readonly extend?: (app: App) => void;
}

/** A started gateway. */
export interface Gateway {
  /** The HTTP port actually bound (PORT may be 0 in tests). */
  readonly port: number;
  stop(): Promise<void>;
}

function healthRoutes(ready: () => Promise<boolean>): CustomRoute[] {
  const reply = (res: ServerResponse, ok: boolean): void => {
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(ok ? 'ok\n' : 'not ready\n');
  };
  return [
    { path: '/healthz', method: ['GET'], handler: (_req: IncomingMessage, res: ServerResponse) => reply(res, true) },
    { path: '/readyz', method: ['GET'], handler: (_req: IncomingMessage, res: ServerResponse) => { void ready().catch(() => false).then((ok) => reply(res, ok)); } },
  ];
}

function boltLogLevel(level: Config['logLevel']): LogLevel {
  return level === 'debug' ? LogLevel.DEBUG : level === 'info' ? LogLevel.INFO : level === 'warn' ? LogLevel.WARN : LogLevel.ERROR;
}

function buildApp(options: GatewayOptions): { app: App; receiver: HTTPReceiver | SocketModeReceiver } {
  const { config } = options;
  const customRoutes = healthRoutes(options.ready);
  const receiver = config.slack.appToken
    // SocketModeReceiver calls apps.connections.open through its own WebClient: it needs the API URL as well.
    ? new SocketModeReceiver({ appToken: config.slack.appToken, customRoutes, installerOptions: { port: config.port, clientOptions: { slackApiUrl: config.slack.apiUrl } }, logLevel: boltLogLevel(config.logLevel) })
    : new HTTPReceiver({ signingSecret: config.slack.signingSecret, endpoints: '/slack/events', customRoutes, logLevel: boltLogLevel(config.logLevel) });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    clientOptions: { slackApiUrl: config.slack.apiUrl },
    logLevel: boltLogLevel(config.logLevel),
    // Bolt's conversation store keeps per-conversation state in memory on every request; Coxswain keeps its state in Redis.
    convoStore: false,
  });
  return { app, receiver };
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
  const { app, receiver } = buildApp(options);
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
        options.deps.log('warn', 'could not answer through the response_url', { error: error instanceof Error ? error.message : String(error) });
      });
    });
  });
  const started = (await app.start(options.config.port)) as unknown;
  const server = started as Server | undefined;
  const address = server?.address?.() as AddressInfo | null | undefined;
  return { port: address?.port ?? socketModePort(receiver) ?? options.config.port, stop: () => app.stop().then(() => undefined) };
}
