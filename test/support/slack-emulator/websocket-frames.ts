import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 §1.3: the GUID the accept key is derived with. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One decoded frame, unmasked. */
export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** The outcome of trying to read one frame from the front of a buffer. */
export type ParseResult =
  | { readonly kind: 'frame'; readonly frame: Frame; readonly rest: Buffer }
  | { readonly kind: 'need_more' }
  | { readonly kind: 'error'; readonly code: number; readonly reason: string };

const NEED_MORE: ParseResult = { kind: 'need_more' };

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * Completes the server side of the opening handshake (§4.2.2), or refuses a request that is not a version-13
 * WebSocket upgrade. No extension and no subprotocol are agreed, so clients send plain, uncompressed frames.
 */
export function acceptUpgrade(req: IncomingMessage, socket: Duplex): boolean {
  const key = req.headers['sec-websocket-key'];
  const isUpgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
  if (!isUpgrade || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    refuseUpgrade(socket, 400, 'Bad Request');
    return false;
  }
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(key)}`,
      '',
      '',
    ].join('\r\n'),
  );
  return true;
}

/** A complete, unmasked server frame (servers must not mask, §5.1). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = Buffer.alloc(length < 126 ? 2 : length < 65_536 ? 4 : 10);
  header[0] = 0x80 | opcode;
  if (length < 126) {
    header[1] = length;
  } else if (length < 65_536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A close frame's body: the status code, then an optional UTF-8 reason (§5.5.1). */
export function closePayload(code: number, reason = ''): Buffer {
  const body = Buffer.alloc(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code, 0);
  body.write(reason, 2);
  return body;
}

function payloadLength(buffer: Buffer, short: number): { length: number; offset: number } | undefined {
  if (short < 126) return { length: short, offset: 2 };
  if (short === 126) return buffer.length < 4 ? undefined : { length: buffer.readUInt16BE(2), offset: 4 };
  if (buffer.length < 10) return undefined;
  const long = buffer.readBigUInt64BE(2);
  return { length: long > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(long), offset: 10 };
}

function unmask(data: Buffer, mask: Buffer): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i += 1) out[i] = (out[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return out;
}

/**
 * Reads one client frame from the front of `buffer`. Client frames must be masked (§5.1); reserved bits must be
 * clear because no extension was agreed; a payload over `maxBytes` is refused with 1009 before it is buffered.
 */
export function parseFrame(buffer: Buffer, maxBytes: number): ParseResult {
  if (buffer.length < 2) return NEED_MORE;
  const first = buffer[0] ?? 0;
  const second = buffer[1] ?? 0;
  if ((first & 0x70) !== 0) return { kind: 'error', code: 1002, reason: 'reserved bits set' };
  if ((second & 0x80) === 0) return { kind: 'error', code: 1002, reason: 'client frames must be masked' };
  const header = payloadLength(buffer, second & 0x7f);
  if (!header) return NEED_MORE;
  if (header.length > maxBytes) return { kind: 'error', code: 1009, reason: `frame over ${maxBytes} bytes` };
  const start = header.offset + 4;
  if (buffer.length < start + header.length) return NEED_MORE;
  const payload = unmask(buffer.subarray(start, start + header.length), buffer.subarray(header.offset, start));
  return {
    kind: 'frame',
    frame: { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload },
    rest: buffer.subarray(start + header.length),
  };
}
