// Which Slack thread last changed a deployment, so an alert about it can also
// be said there, to the person who changed it. Written by the worker after a
// deploy, scale, restart or undo; read by alert delivery; forgotten after an hour.
import type { Redis } from 'ioredis';
import type { RolloutThread } from './alert-record.ts';

/** How long after a change an alert still goes into its thread. */
export const rolloutMarkTtlSeconds = 3600;

/** The marks of one cluster. */
export interface RolloutMarks {
  remember(namespace: string, deployment: string, thread: RolloutThread): Promise<void>;
  find(namespace: string, deployment: string): Promise<RolloutThread | undefined>;
}

/** Opens the marks under `prefix`. */
export function createRolloutMarks(redis: Redis, prefix: string): RolloutMarks {
  const key = (namespace: string, deployment: string): string => `${prefix}:rollout:${namespace}/${deployment}`;
  return {
    remember: async (namespace, deployment, thread) => {
      await redis.set(key(namespace, deployment), JSON.stringify(thread), 'EX', rolloutMarkTtlSeconds);
    },
    find: async (namespace, deployment) => {
      const raw = await redis.get(key(namespace, deployment));
      return raw ? (JSON.parse(raw) as RolloutThread) : undefined;
    },
  };
}
