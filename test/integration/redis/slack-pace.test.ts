// The alerts' Slack budgets on a real Redis (its clock, its Lua): posts per
// channel with a short burst, edits in a workspace-wide line kept by
// reservation, recoveries on a budget of their own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createSlackPace, slackPace, type SlackPace } from '../../../src/alerts/slack-pace.ts';

let redis: Redis;
let pace: SlackPace;
let prefix: string;

beforeAll(() => {
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  const keys = await redis.keys('coxswain:pace-test-*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
const fresh = (): void => {
  prefix = `coxswain:pace-test-${randomBytes(4).toString('hex')}`;
  pace = createSlackPace(redis, prefix);
};

describe('the post budget', () => {
  it('lets two posts to a channel go at once and makes the third wait most of a slot; other channels are apart', async () => {
    fresh();
    expect(await pace.take('post', 'C1', 'a')).toBe(0);
    expect(await pace.take('post', 'C1', 'b')).toBe(0);
    const third = await pace.take('post', 'C1', 'c');
    // burst 2.6 of 1100 ms: the third may go 1100 × 2 − 1760 = 440 ms after the first two.
    expect(third).toBeGreaterThan(300);
    expect(third).toBeLessThanOrEqual(440);
    expect(await pace.take('post', 'C1', 'c')).toBeGreaterThan(0); // asking again reserves nothing
    expect(await pace.take('post', 'C2', 'd')).toBe(0);
  });
});

describe('the edit budget', () => {
  it('serves edits in line: three at once, then each waiting one gets a time of its own, honoured when it comes back', async () => {
    fresh();
    const waits: number[] = [];
    for (const ticket of ['e1', 'e2', 'e3', 'e4', 'e5']) waits.push(await pace.take('edit', 'C1', ticket));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    const { intervalMs } = slackPace.edit;
    expect(waits[3]).toBeGreaterThan(intervalMs - 200);
    expect(waits[3]).toBeLessThanOrEqual(intervalMs);
    expect(waits[4]).toBeGreaterThan(2 * intervalMs - 200);
    // Asking again keeps the place (no second reservation moves the line on).
    const again = await pace.take('edit', 'C1', 'e4');
    expect(again).toBeLessThanOrEqual(waits[3] ?? 0);
    expect(Number(await redis.pttl(`${prefix}:slack-pace:ticket:e4`))).toBeGreaterThan(0);
    // Edits never spend a channel's posting slot.
    expect(await pace.take('post', 'C1', 'p')).toBe(0);
    // Its time come, the edit goes, and its reservation is gone.
    await new Promise((resolve) => setTimeout(resolve, again + 20));
    expect(await pace.take('edit', 'C1', 'e4')).toBe(0);
    expect(await redis.exists(`${prefix}:slack-pace:ticket:e4`)).toBe(0);
    // A newcomer queues behind e5, not in front of it.
    expect(await pace.take('edit', 'C1', 'e6')).toBeGreaterThan((waits[4] ?? 0) - again);
  });

  it('keeps recoveries out of the edits’ line', async () => {
    fresh();
    for (let i = 0; i < 10; i++) await pace.take('edit', 'C1', `e${i}`);
    expect(await pace.take('recovery', 'C1', 'r1')).toBe(0);
  });

  it('keeps every key it writes on a timer, so nothing outlives its use', async () => {
    fresh();
    await pace.take('post', 'C1', 'a');
    for (let i = 0; i < 5; i++) await pace.take('edit', 'C1', `e${i}`);
    await pace.take('recovery', 'C1', 'r');
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) expect(Number(await redis.pttl(key))).toBeGreaterThan(0);
  });
});
