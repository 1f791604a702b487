// The emulator's Socket Mode server side (websocket-peer.ts, on `ws`), checked with hand-made frames on a raw TCP
// socket: what a client library would hide (the handshake, masking, fragmentation, oversized frames, the close
// handshake).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { SlackEmulator, SOCKET_MAX_MESSAGE_BYTES } from '../../../support/slack-emulator/index.ts';

/** RFC 6455 opcodes. */
const OPCODE = { continuation: 0x0, text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The Sec-WebSocket-Accept of a key (RFC 6455 §4.2.2). */
const acceptKey = (key: string): string =>
  createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

/** One unmasked server frame at the start of `buffer`, with the bytes it took, or undefined when incomplete. */
function serverFrame(buffer: Buffer): { opcode: number; payload: Buffer; bytes: number } | undefined {
  if (buffer.length < 2) return undefined;
  const short = (buffer[1] ?? 0) & 0x7f;
  const headerBytes = short < 126 ? 2 : short === 126 ? 4 : 10;
  if (buffer.length < headerBytes) return undefined;
  const length = short < 126 ? short : short === 126 ? buffer.readUInt16BE(2) : Number(buffer.readBigUInt64BE(2));
  if (buffer.length < headerBytes + length) return undefined;
  const payload = buffer.subarray(headerBytes, headerBytes + length);
  return { opcode: (buffer[0] ?? 0) & 0x0f, payload, bytes: headerBytes + length };
}

let emu: SlackEmulator;

beforeEach(async () => {
  emu = await SlackEmulator.start();
});

afterEach(async () => {
  await emu.stop();
});

/** A masked client frame. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i & 3] ?? 0)));
  const length = payload.length;
  const header = length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | length]) : Buffer.alloc(4);
  if (length >= 126) {
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  }
  return Buffer.concat([header, mask, masked]);
}

/** Server frames read off the socket, in order. */
interface RawClient {
  readonly socket: Socket;
  readonly frames: Array<{ opcode: number; text: string; payload: Buffer }>;
  next(count: number): Promise<void>;
  readonly closed: Promise<void>;
  /** The status code of the server's close frame, if it sent one. */
  closeCode(): number | undefined;
}

async function rawClient(): Promise<RawClient> {
  const url = new URL(emu.socket.issueUrl());
  const socket = connect(Number(url.port), '127.0.0.1');
  const frames: Array<{ opcode: number; text: string; payload: Buffer }> = [];
  let buffer = Buffer.alloc(0);
  let handshake = true;
  let wake = (): void => undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (handshake) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      expect(buffer.subarray(0, end).toString()).toContain(
        `Sec-WebSocket-Accept: ${acceptKey('dGhlIHNhbXBsZSBub25jZQ==')}`,
      );
      buffer = buffer.subarray(end + 4);
      handshake = false;
    }
    for (let frame = serverFrame(buffer); frame; frame = serverFrame(buffer)) {
      frames.push({ opcode: frame.opcode, text: frame.payload.toString('utf8'), payload: frame.payload });
      buffer = buffer.subarray(frame.bytes);
    }
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const next = (count: number): Promise<void> =>
    new Promise((resolve) => {
      wake = () => {
        if (frames.length >= count) resolve();
      };
      wake();
    });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `GET ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const closeCode = (): number | undefined => {
    const close = frames.find((f) => f.opcode === OPCODE.close);
    return close ? close.payload.readUInt16BE(0) : undefined;
  };
  return { socket, frames, next, closed, closeCode };
}

describe('WebSocket framing', () => {
  it('derives the accept key of RFC 6455 §1.3 (the check of the handshake below)', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('refuses an upgrade of a WebSocket version it does not speak', async () => {
    const url = new URL(emu.socket.issueUrl());
    const socket = connect(Number(url.port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let reply = '';
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
    });
    socket.write(
      `GET ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(reply).toMatch(/^HTTP\/1\.1 400 /u);
    expect(emu.socket.openConnections).toBe(0);
  });

  it('joins a fragmented ack, answers a ping with a pong and echoes the close frame', async () => {
    const pending = emu.socketDriver().send('events_api', { event: { type: 'app_mention' } });
    const client = await rawClient();
    await client.next(2);
    expect(JSON.parse(client.frames[0]?.text ?? '')).toMatchObject({ type: 'hello' });
    const envelope = JSON.parse(client.frames[1]?.text ?? '') as {
      envelope_id: string;
      type: string;
      accepts_response_payload: boolean;
    };
    expect(envelope).toMatchObject({ type: 'events_api', accepts_response_payload: false });

    const ack = Buffer.from(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { ok: 1 } }));
    client.socket.write(clientFrame(OPCODE.text, ack.subarray(0, 10), false));
    client.socket.write(clientFrame(OPCODE.ping, Buffer.from('are you there')));
    client.socket.write(clientFrame(OPCODE.continuation, ack.subarray(10)));
    expect(await pending).toMatchObject({ acked: true, ackPayload: { ok: 1 } });
    await client.next(3);
    expect(client.frames[2]).toMatchObject({ opcode: OPCODE.pong, text: 'are you there' });

    client.socket.write(clientFrame(OPCODE.close, Buffer.from([0x03, 0xe8])));
    await client.closed;
    expect(client.frames.at(-1)?.opcode).toBe(OPCODE.close);
    expect(emu.socket.openConnections).toBe(0);
  });

  it('closes with 1009 on a message over the bound, and drops a client that sends unmasked frames', async () => {
    const big = await rawClient();
    await big.next(1);
    const header = Buffer.from([0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    header.writeBigUInt64BE(BigInt(SOCKET_MAX_MESSAGE_BYTES + 1), 2);
    big.socket.write(Buffer.concat([header, randomBytes(4)]));
    await big.closed;
    expect(big.frames.at(-1)?.opcode).toBe(OPCODE.close);
    expect(big.closeCode()).toBe(1009);

    const unmasked = await rawClient();
    await unmasked.next(1);
    unmasked.socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    await unmasked.closed;
    expect(unmasked.closeCode()).toBe(1002);
    expect(emu.socket.openConnections).toBe(0);
  });
});
