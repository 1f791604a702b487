import type { Duplex } from 'node:stream';
import { OPCODE, closePayload, encodeFrame, parseFrame } from './websocket-frames.ts';
import type { Frame } from './websocket-frames.ts';

/** What a {@link WebSocketPeer} reports to its owner. */
export interface PeerHandlers {
  /** A complete text message (fragments already joined). */
  readonly onText: (text: string) => void;
  /** The TCP connection is gone; `code` is the peer's close code, or 1006 when it vanished without one. */
  readonly onClose: (code: number) => void;
  /** A pong arrived (an answer to {@link WebSocketPeer.ping}). */
  readonly onPong?: () => void;
}

/** Limits of one connection. */
export interface PeerOptions {
  /** Largest message (and frame) accepted; larger ones close the connection with 1009. */
  readonly maxMessageBytes: number;
  /** How long to wait for the client's close frame after sending ours before dropping the socket. */
  readonly closeTimeoutMs: number;
}

/**
 * The server end of one WebSocket connection after the handshake: text messages in and out, ping/pong, the close
 * handshake, and continuation frames joined up to a bounded size. Just enough RFC 6455 for Slack's Socket Mode
 * clients, so the emulator needs no `ws` dependency.
 */
export class WebSocketPeer {
  readonly #socket: Duplex;
  readonly #handlers: PeerHandlers;
  readonly #options: PeerOptions;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] | undefined;
  #fragmentBytes = 0;
  #closeSent = false;
  #closeCode = 1006;
  #closeTimer: NodeJS.Timeout | undefined;
  #gone = false;
  /** We ended our side of the TCP stream; anything still buffered is ignored. */
  #ended = false;

  constructor(socket: Duplex, handlers: PeerHandlers, options: PeerOptions) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#options = options;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => socket.destroy());
    // HTTP server sockets allow half-open connections: a client that hung up would otherwise stay "connected".
    socket.on('end', () => socket.destroy());
    socket.on('close', () => this.#finish());
  }

  /** True until either side started closing. */
  get open(): boolean {
    return !this.#gone && !this.#closeSent;
  }

  /** Sends one text message; ignored once closing. */
  sendText(text: string): void {
    if (this.open) this.#socket.write(encodeFrame(OPCODE.text, Buffer.from(text, 'utf8')));
  }

  /** Sends a ping; the client's pong is reported through `onPong`. */
  ping(data = ''): void {
    if (this.open) this.#socket.write(encodeFrame(OPCODE.ping, Buffer.from(data, 'utf8')));
  }

  /** Starts the close handshake; the socket is dropped if the client does not answer in time. */
  close(code = 1000, reason = ''): void {
    if (this.#gone || this.#closeSent) return;
    this.#closeSent = true;
    this.#socket.write(encodeFrame(OPCODE.close, closePayload(code, reason)));
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#options.closeTimeoutMs);
  }

  /** Drops the TCP connection without a close handshake (what a crashed server does). */
  destroy(): void {
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (!this.#gone && !this.#ended) {
      const result = parseFrame(this.#buffer, this.#options.maxMessageBytes);
      if (result.kind === 'need_more') return;
      if (result.kind === 'error') {
        this.#fail(result.code, result.reason);
        return;
      }
      this.#buffer = result.rest;
      this.#handle(result.frame);
    }
  }

  #handle(frame: Frame): void {
    if (frame.opcode === OPCODE.close) this.#onClose(frame.payload);
    else if (frame.opcode === OPCODE.ping) this.#socket.write(encodeFrame(OPCODE.pong, frame.payload));
    else if (frame.opcode === OPCODE.pong) this.#handlers.onPong?.();
    else if (frame.opcode <= OPCODE.binary) this.#onData(frame);
    else this.#fail(1002, `unknown opcode ${frame.opcode}`);
  }

  #onData(frame: Frame): void {
    const starts = frame.opcode !== OPCODE.continuation;
    if (starts === (this.#fragments !== undefined)) {
      this.#fail(1002, starts ? 'new message inside a fragmented one' : 'continuation without a message');
      return;
    }
    if (starts && frame.opcode === OPCODE.binary) {
      this.#fail(1003, 'Socket Mode speaks text frames only');
      return;
    }
    this.#fragments = [...(this.#fragments ?? []), frame.payload];
    this.#fragmentBytes += frame.payload.length;
    if (this.#fragmentBytes > this.#options.maxMessageBytes) {
      this.#fail(1009, `message over ${this.#options.maxMessageBytes} bytes`);
      return;
    }
    if (!frame.fin) return;
    const text = Buffer.concat(this.#fragments).toString('utf8');
    this.#fragments = undefined;
    this.#fragmentBytes = 0;
    this.#handlers.onText(text);
  }

  #onClose(payload: Buffer): void {
    this.#closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#socket.write(encodeFrame(OPCODE.close, payload.length >= 2 ? payload.subarray(0, 2) : Buffer.alloc(0)));
    }
    this.#end();
  }

  /** The server closes TCP first once the close handshake is done (§7.1.1); the socket is half-open otherwise. */
  #end(): void {
    this.#ended = true;
    this.#socket.end(() => this.#socket.destroy());
  }

  #fail(code: number, reason: string): void {
    this.close(code, reason);
    this.#end();
  }

  #finish(): void {
    if (this.#gone) return;
    this.#gone = true;
    clearTimeout(this.#closeTimer);
    this.#handlers.onClose(this.#closeCode);
  }
}
