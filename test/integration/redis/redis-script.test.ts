// Lua scripts by digest on a real Redis: the script goes in full only when Redis does not have it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { evalScript } from '../../../src/redis-script.ts';

let redis: Redis;
/** The script commands sent on this connection (EVAL, EVALSHA), by name. */
const sent: string[] = [];

beforeAll(async () => {
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  await redis.ping(); // connected: the handshake's commands are over
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: { name: string }, ...rest: unknown[]) => {
    if (command.name.startsWith('eval')) sent.push(command.name);
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  };
});
afterAll(async () => {
  await redis.quit();
});

describe('evalScript', () => {
  it('sends a script Redis has never seen once in full, then only its digest', async () => {
    // A script no one has run on this server (its comment is new), so the first EVALSHA is answered NOSCRIPT.
    const script = `-- ${randomBytes(8).toString('hex')}\nreturn {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}`;
    sent.length = 0;
    expect(await evalScript(redis, script, 1, 'coxswain:k', 'v', 41)).toEqual(['coxswain:k', 'v', 42]);
    expect(sent).toEqual(['evalsha', 'eval']);
    sent.length = 0;
    expect(await evalScript(redis, script, 1, 'coxswain:k', 'w', 1)).toEqual(['coxswain:k', 'w', 2]);
    expect(sent).toEqual(['evalsha']);
  });

  it("passes a script's own error on, without sending it again", async () => {
    const script = `-- ${randomBytes(8).toString('hex')}\nreturn redis.error_reply('not today')`;
    await expect(evalScript(redis, script, 0)).rejects.toThrow('not today');
    sent.length = 0;
    await expect(evalScript(redis, script, 0)).rejects.toThrow('not today');
    expect(sent).toEqual(['evalsha']);
  });
});
