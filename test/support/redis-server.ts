import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './cluster/processes.ts';

/** Sends PING over a raw socket; true on +PONG. Used before any client library is involved. */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A redis-server of a test's own, for tests that stop, restart or need persistence. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server (SIGTERM, so AOF is flushed) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

/** Options of startPrivateRedis. */
export interface PrivateRedisOptions {
  /** Keep an append-only file (survives restarts). Default true. */
  readonly appendOnly?: boolean;
  /** The redis-server binary. Default `redis-server` from PATH. */
  readonly binary?: string;
  /** Serve TLS only, with this certificate (no plain port). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly caCert: string };
  /** ACL file lines (`user … on >pw ~keys +cmds`): the server takes them as its users. */
  readonly acl?: readonly string[];
}

/** Any answer to PING (PONG, or NOAUTH when the default user is off) means the server is up; over TLS with `caCert`. */
function answersPing(port: number, caCert: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = caCert
      ? tlsConnect({ host: '127.0.0.1', port, ca: caCert, servername: 'localhost' })
      : createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on(caCert ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (data: Buffer) => done(/^[+-]/.test(data.toString())));
  });
}

/** Starts a redis-server on a free loopback port with its own data directory. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'coxswain-redis-'));
  const url = `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const args = [
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly === false ? 'no' : 'yes',
    '--appendfsync',
    'always',
    ...(options.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          options.tls.cert,
          '--tls-key-file',
          options.tls.key,
          '--tls-ca-cert-file',
          options.tls.caCert,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
    ...(options.acl ? ['--aclfile', join(dir, 'users.acl')] : []),
  ];
  if (options.acl) await writeFile(join(dir, 'users.acl'), `${options.acl.join('\n')}\n`);
  const caCert = options.tls ? await readFile(options.tls.caCert, 'utf8') : undefined;
  const up = (): Promise<boolean> => answersPing(port, caCert);
  const start = async (): Promise<void> => {
    const proc = spawn(options.binary ?? 'redis-server', args, { stdio: 'ignore' });
    child = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitUntil(up, { what: `redis-server on ${port}`, timeoutMs: 10_000, intervalMs: 50 }), exited]);
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    port,
    dir,
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
