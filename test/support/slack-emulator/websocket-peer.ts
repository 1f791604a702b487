// The server end of the emulator's Socket Mode connections, on `ws` (the WebSocket library client-node and Bolt's
// Socket Mode client already bring): the opening handshake, text messages in and out, ping/pong, fragments joined up to
// a bound (1009 beyond it), the close handshake with a bounded wait.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/** What a {@link WebSocketPeer} reports to its owner. */
export interface PeerHandlers {
  /** A complete text message (fragments already joined). */
  readonly onText: (text: string) => void;
  /** The connection is gone; `code` is the peer's close code, 1005 for a close without one, 1006 when it vanished. */
  readonly onClose: (code: number) => void;
  /** A pong arrived (an answer to {@link WebSocketPeer.ping}). */
  readonly onPong?: () => void;
}

/** Limits of one connection. */
export interface PeerOptions {
  /** Largest message accepted; a larger one closes the connection with 1009. */
  readonly maxMessageBytes: number;
  /** How long to wait for the client's close frame after sending ours before dropping the socket. */
  readonly closeTimeoutMs: number;
}

/** Writes a plain HTTP refusal on a socket that asked to upgrade. */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/** A message's text, whichever of its shapes `ws` hands over. */
const textOf = (data: RawData): string =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');

/** One WebSocket connection after the handshake, as Slack's Socket Mode server holds it. */
export class WebSocketPeer {
  readonly #ws: WebSocket;
  readonly #options: PeerOptions;
  #closeTimer: NodeJS.Timeout | undefined;

  private constructor(ws: WebSocket, handlers: PeerHandlers, options: PeerOptions) {
    this.#ws = ws;
    this.#options = options;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.close(1003, 'Socket Mode speaks text frames only');
      else handlers.onText(textOf(data));
    });
    ws.on('pong', () => handlers.onPong?.());
    ws.on('error', () => ws.terminate());
    ws.on('close', (code) => {
      clearTimeout(this.#closeTimer);
      handlers.onClose(code);
    });
  }

  /**
   * Completes the opening handshake of an HTTP upgrade (`ws` refuses what is not a WebSocket upgrade of version 8 or
   * 13 with 400) and resolves with the connection, or with undefined when it was refused.
   */
  static accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    handlers: PeerHandlers,
    options: PeerOptions,
  ): Promise<WebSocketPeer | undefined> {
    // One server per connection: it only carries the limits; `noServer` leaves the HTTP server to the emulator.
    const server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
    });
    return new Promise((resolve) => {
      socket.once('close', () => resolve(undefined));
      server.handleUpgrade(req, socket, head, (ws) => resolve(new WebSocketPeer(ws, handlers, options)));
    });
  }

  /** True until either side started closing. */
  get open(): boolean {
    return this.#ws.readyState === this.#ws.OPEN;
  }

  /** Sends one text message; ignored once closing. */
  sendText(text: string): void {
    if (this.open) this.#ws.send(text);
  }

  /** Sends a ping; the client's pong is reported through `onPong`. */
  ping(data = ''): void {
    if (this.open) this.#ws.ping(data);
  }

  /** Starts the close handshake; the socket is dropped if the client does not answer in time. */
  close(code = 1000, reason = ''): void {
    if (!this.open) return;
    this.#ws.close(code, reason);
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), this.#options.closeTimeoutMs);
  }

  /** Drops the TCP connection without a close handshake (what a crashed server does). */
  destroy(): void {
    this.#ws.terminate();
  }
}
