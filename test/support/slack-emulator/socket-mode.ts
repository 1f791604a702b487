import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { isRecord } from '../../../src/console/in-process-slack/block-kit-rules.ts';
import { WebSocketPeer, refuseUpgrade } from './websocket-peer.ts';

/** Why Slack asks a Socket Mode client to go: a refresh (about hourly), a warning before one, or the app turned off. */
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

/** Envelope types the emulator delivers. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** How one envelope went: acked in time, or not. */
export interface EnvelopeOutcome {
  readonly envelopeId: string;
  readonly type: EnvelopeType;
  /** Whether the client acked within the timeout. */
  readonly acked: boolean;
  /** Real milliseconds from the send (including any wait for a connection) to the ack, or to giving up. */
  readonly ms: number;
  /** The ack's `payload` (`{}` for a bare `ack()`); undefined when not acked. */
  readonly ackPayload: Record<string, unknown> | undefined;
  /** `operation_timeout` when no ack came within the timeout, as Slack shows the user. */
  readonly error?: 'operation_timeout';
}

/** Configuration of {@link SocketModeServer}. */
export interface SocketModeOptions {
  readonly appId: string;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  readonly baseUrl: () => string;
  /** Interval of the server's pings; Slack pings every few seconds. Default 5000 ms. */
  readonly pingIntervalMs?: number;
  /**
   * How long after a (non-warning) disconnect message the server closes a client that did not go itself. Default 1000
   * ms.
   */
  readonly disconnectGraceMs?: number;
}

/** Limits of one WebSocket connection. */
export const SOCKET_MAX_MESSAGE_BYTES = 1024 * 1024;
/** A connection URL is single-use and must be used within this time, like Slack's tickets. */
export const SOCKET_URL_LIFETIME_MS = 60_000;

interface Connection {
  readonly id: number;
  readonly peer: WebSocketPeer;
  readonly pinger: NodeJS.Timeout;
}

interface Pending {
  readonly envelope: Record<string, unknown>;
  readonly type: EnvelopeType;
  readonly started: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (outcome: EnvelopeOutcome) => void;
  delivered: boolean;
}

/**
 * Slack's Socket Mode endpoint (§2.3): `apps.connections.open` hands out single-use `ws://…/socket/<ticket>` URLs;
 * a connection gets `hello`, then envelopes, and must ack each with `{envelope_id, payload?}`. Envelopes sent while
 * no client is connected wait for one, within the same timeout as the ack (Slack's 3 s); after that the sender sees
 * `operation_timeout` and the envelope is dropped, never delivered late.
 */
export class SocketModeServer {
  readonly #options: SocketModeOptions;
  readonly #tickets = new Map<string, number>();
  readonly #connections = new Map<number, Connection>();
  readonly #pending = new Map<string, Pending>();
  readonly #events = new EventEmitter();
  readonly #history: EnvelopeOutcome[] = [];
  #opened = 0;
  /** Ids of connections, taken when an upgrade begins (handshakes may overlap). */
  #ids = 0;
  #pongs = 0;
  #stopped = false;

  constructor(options: SocketModeOptions) {
    this.#options = options;
  }

  /** A fresh connection URL (what `apps.connections.open` returns). */
  issueUrl(now: number = Date.now()): string {
    const ticket = randomBytes(16).toString('hex');
    this.#tickets.set(ticket, now + SOCKET_URL_LIFETIME_MS);
    return `${this.#options.baseUrl().replace(/^http/, 'ws')}/socket/${ticket}`;
  }

  /** Connections currently open. */
  get openConnections(): number {
    return [...this.#connections.values()].filter((c) => c.peer.open).length;
  }

  /** Connections ever accepted (a reconnect makes it grow). */
  get connectionsOpened(): number {
    return this.#opened;
  }

  /** Pongs the clients sent back to the server's pings, over all connections. */
  get pongsReceived(): number {
    return this.#pongs;
  }

  /** Every envelope's outcome, oldest first. */
  get history(): readonly EnvelopeOutcome[] {
    return this.#history;
  }

  /** Takes over an HTTP upgrade on `/socket/<ticket>`; anything else is refused with 404 / 400. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ticket = /^\/socket\/([0-9a-f]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1];
    const expires = ticket === undefined ? undefined : this.#tickets.get(ticket);
    if (ticket === undefined || expires === undefined || expires < Date.now() || this.#stopped) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    this.#tickets.delete(ticket);
    void this.#accept(req, socket, head);
  }

  /**
   * Sends an envelope and resolves when the client acks it, or after `timeoutMs` with `operation_timeout`. Never
   * rejects.
   */
  send(type: EnvelopeType, payload: Record<string, unknown>, timeoutMs: number): Promise<EnvelopeOutcome> {
    const envelopeId = randomUUID();
    const envelope = { envelope_id: envelopeId, type, accepts_response_payload: type === 'slash_commands', payload };
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settle(envelopeId, undefined), timeoutMs);
      this.#pending.set(envelopeId, { envelope, type, started: performance.now(), timer, resolve, delivered: false });
      this.#flush();
    });
  }

  /**
   * Sends `{type:'disconnect', reason}` to every open connection, as Slack does before recycling one. A well-behaved
   * client closes and reconnects through `apps.connections.open`; for any reason but `warning` the server closes the
   * connection itself after the grace period. Resolves when those connections are gone.
   */
  async disconnect(reason: DisconnectReason): Promise<void> {
    const open = [...this.#connections.values()].filter((c) => c.peer.open);
    const gone = open.map((c) => new Promise<void>((resolve) => this.#events.once(`closed:${c.id}`, () => resolve())));
    for (const connection of open)
      connection.peer.sendText(
        JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-emulator' } }),
      );
    if (reason === 'warning') return;
    const grace = setTimeout(
      () => open.forEach((c) => c.peer.close(1001, 'going away')),
      this.#options.disconnectGraceMs ?? 1000,
    );
    await Promise.all(gone);
    clearTimeout(grace);
  }

  /** Resolves once `total` connections have ever been opened (e.g. `connectionsOpened + 1` for "the next one"). */
  waitForConnections(total: number, timeoutMs = 10_000): Promise<void> {
    if (this.#opened >= total) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onOpen = (): void => {
        if (this.#opened < total) return;
        clearTimeout(timer);
        this.#events.off('opened', onOpen);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#events.off('opened', onOpen);
        reject(new Error(`socket: ${this.#opened} connection(s) opened, waited ${timeoutMs} ms for ${total}`));
      }, timeoutMs);
      this.#events.on('opened', onOpen);
    });
  }

  /**
   * Fails every pending envelope and closes every connection with 1001 "going away", waiting up to `graceMs` for
   * the close handshake (so a client that is itself closing sees a clean close) before dropping what is left.
   */
  async stop(graceMs = 1000): Promise<void> {
    this.#stopped = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined);
    const connections = [...this.#connections.values()];
    const gone = connections.map(
      (c) => new Promise<void>((resolve) => this.#events.once(`closed:${c.id}`, () => resolve())),
    );
    for (const connection of connections) connection.peer.close(1001, 'going away');
    const timer = setTimeout(() => connections.forEach((c) => c.peer.destroy()), graceMs);
    await Promise.all(gone);
    clearTimeout(timer);
  }

  async #accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const id = ++this.#ids;
    const peer = await WebSocketPeer.accept(
      req,
      socket,
      head,
      {
        onText: (text) => this.#onText(text),
        onClose: () => this.#onClosed(id),
        onPong: () => {
          this.#pongs += 1;
        },
      },
      { maxMessageBytes: SOCKET_MAX_MESSAGE_BYTES, closeTimeoutMs: 2000 },
    );
    if (!peer) return;
    this.#opened += 1;
    const pinger = setInterval(() => peer.ping(`emulator ${Date.now()}`), this.#options.pingIntervalMs ?? 5000);
    this.#connections.set(id, { id, peer, pinger });
    peer.sendText(
      JSON.stringify({
        type: 'hello',
        num_connections: this.openConnections,
        debug_info: { host: 'applink-emulator', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.#options.appId },
      }),
    );
    this.#events.emit('opened');
    this.#flush();
  }

  #onClosed(id: number): void {
    const connection = this.#connections.get(id);
    if (connection) clearInterval(connection.pinger);
    this.#connections.delete(id);
    this.#events.emit(`closed:${id}`);
  }

  /** The newest open connection gets new envelopes, so a client that just reconnected takes over at once. */
  #target(): Connection | undefined {
    return [...this.#connections.values()].filter((c) => c.peer.open).at(-1);
  }

  #flush(): void {
    const target = this.#target();
    if (!target) return;
    for (const pending of this.#pending.values()) {
      if (pending.delivered) continue;
      pending.delivered = true;
      target.peer.sendText(JSON.stringify(pending.envelope));
    }
  }

  #onText(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!isRecord(message) || typeof message.envelope_id !== 'string') return;
    this.#settle(message.envelope_id, isRecord(message.payload) ? message.payload : {});
  }

  #settle(envelopeId: string, ackPayload: Record<string, unknown> | undefined): void {
    const pending = this.#pending.get(envelopeId);
    if (!pending) return;
    this.#pending.delete(envelopeId);
    clearTimeout(pending.timer);
    const outcome: EnvelopeOutcome = {
      envelopeId,
      type: pending.type,
      acked: ackPayload !== undefined,
      ms: Math.round(performance.now() - pending.started),
      ackPayload,
      ...(ackPayload === undefined ? { error: 'operation_timeout' as const } : {}),
    };
    this.#history.push(outcome);
    pending.resolve(outcome);
  }
}
