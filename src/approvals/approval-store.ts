// Approval requests in Redis, so they survive restarts and every replica sees
// the same votes. Each change is a compare-and-swap (a Lua script that writes
// only if the stored JSON is still what was read), retried on a concurrent
// change, so two clicks at once never both count as the last vote. (WATCH would
// not do: it belongs to a connection, and requests share one.) Every record is
// sealed (src/seal) when written and checked when read: a request changed in
// Redis by anyone but the bot — a vote added, its state set to approved — is
// refused, not acted on.
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { describeSealProblem, type Sealer } from '../seal/sealer.ts';
import {
  applyRejection,
  applyVote,
  approvalIdAlphabet,
  type ApprovalPlan,
  type ApprovalRequest,
  type VoteOutcome,
} from './approval-request.ts';
import { evalScript } from '../redis-script.ts';

/** KEYS: request, due set. ARGV: expected JSON, new JSON, ttl ms, id to drop from the due set (or ''). */
const compareAndSet = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[4] ~= '' then redis.call('zrem', KEYS[2], ARGV[4]) end
return 1`;

/** How long a finished request stays readable after it expires or ends. */
const keepFinishedMs = 7 * 24 * 3600_000;

/** What opening a request needs; the store adds id, state and votes. */
export type NewApprovalRequest = Omit<ApprovalRequest, 'id' | 'state' | 'votes'>;

/** The approval requests of one cluster. */
export interface ApprovalStore {
  open(request: NewApprovalRequest): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Records the card's ts once it is posted. */
  setCard(id: string, ts: string): Promise<ApprovalRequest>;
  /** Binds the plan and makes the request votable. */
  setPlan(id: string, plan: ApprovalPlan): Promise<ApprovalRequest>;
  /** Ends a request whose plan could not be read; undefined when it had already moved on. */
  failPlan(id: string, reason: string): Promise<ApprovalRequest | undefined>;
  vote(id: string, userId: string, now?: number): Promise<VoteOutcome>;
  reject(id: string, userId: string, reason?: string, now?: number): Promise<VoteOutcome>;
  /** Marks every request due by `now` expired and returns them (each exactly once, across replicas). */
  expireDue(now?: number): Promise<ApprovalRequest[]>;
}

function newId(): string {
  return Array.from({ length: 6 }, () => approvalIdAlphabet[randomInt(approvalIdAlphabet.length)]).join('');
}

/** The record as stored: the request and its seal. */
function sealed(sealer: Pick<Sealer, 'seal'>, request: ApprovalRequest): string {
  return JSON.stringify({ ...request, seal: sealer.seal('approval', request) });
}

/** The request in a stored record, if its seal holds; otherwise an error that says the record was tampered with. */
function unsealed(sealer: Pick<Sealer, 'check'>, id: string, raw: string): ApprovalRequest {
  const { seal, ...request } = JSON.parse(raw) as ApprovalRequest & { seal?: unknown };
  const check = sealer.check('approval', request, seal);
  if (check !== 'valid') {
    throw new AppError(
      'forbidden',
      `Approval request \`${id}\` is not acted on: ${describeSealProblem(check)}. Someone other than Coxswain may be writing to its Redis.`,
    );
  }
  return request;
}

/** Opens the store under `prefix` (e.g. coxswain:prod); `sealer` seals every record and checks it on every read. */
export function createApprovalStore(
  redis: Redis,
  prefix: string,
  sealer: Pick<Sealer, 'seal' | 'check'>,
): ApprovalStore {
  const key = (id: string): string => `${prefix}:approval:${id}`;
  const dueKey = `${prefix}:approvals:due`;
  const read = async (id: string): Promise<ApprovalRequest | undefined> => {
    const raw = await redis.get(key(id));
    return raw ? unsealed(sealer, id, raw) : undefined;
  };
  const ttl = (r: ApprovalRequest): number => Math.max(60_000, r.expiresAt - Date.now() + keepFinishedMs);
  const update = async <T>(
    id: string,
    change: (r: ApprovalRequest) => { next: ApprovalRequest; result: T },
  ): Promise<T> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await redis.get(key(id));
      if (!raw) throw new AppError('not_found', `There is no approval request \`${id}\`.`);
      const { next, result } = change(unsealed(sealer, id, raw));
      const finished = next.state !== 'pending' && next.state !== 'planning';
      const swapped = await evalScript(
        redis,
        compareAndSet,
        2,
        key(id),
        dueKey,
        raw,
        sealed(sealer, next),
        ttl(next),
        finished ? id : '',
      );
      if (swapped === 1) return result;
    }
    throw new AppError('conflict', 'Too many people clicked at once; please click again.');
  };
  const outcome = (o: VoteOutcome): { next: ApprovalRequest; result: VoteOutcome } => ({ next: o.request, result: o });
  return {
    open: async (request) => {
      for (;;) {
        const created: ApprovalRequest = { ...request, id: newId(), state: 'planning', votes: [] };
        const ok = await redis.set(key(created.id), sealed(sealer, created), 'PX', ttl(created), 'NX');
        if (ok !== 'OK') continue;
        await redis.zadd(dueKey, created.expiresAt, created.id);
        return created;
      }
    },
    get: read,
    setCard: (id, ts) =>
      update(id, (r) => {
        const next = { ...r, cardTs: ts };
        return { next, result: next };
      }),
    setPlan: (id, plan) =>
      update(id, (r) => {
        const next: ApprovalRequest = r.state === 'planning' ? { ...r, plan, state: 'pending' } : r;
        return { next, result: next };
      }),
    failPlan: (id, reason) =>
      update(id, (r) => {
        const next: ApprovalRequest = r.state === 'planning' ? { ...r, state: 'failed', failure: reason } : r;
        return { next, result: r.state === 'planning' ? next : undefined };
      }),
    vote: (id, userId, now = Date.now()) => update(id, (r) => outcome(applyVote(r, userId, now))),
    reject: (id, userId, reason, now = Date.now()) =>
      update(id, (r) => outcome(applyRejection(r, userId, reason, now))),
    expireDue: async (now = Date.now()) => {
      const due = await redis.zrangebyscore(dueKey, 0, now, 'LIMIT', 0, 100);
      const expired: ApprovalRequest[] = [];
      for (const id of due) {
        const ended = await update(id, (r) => {
          const open = r.state === 'pending' || r.state === 'planning';
          const next: ApprovalRequest = open ? { ...r, state: 'expired' } : r;
          return { next, result: open ? next : undefined };
        }).catch(() => undefined);
        await redis.zrem(dueKey, id);
        if (ended) expired.push(ended);
      }
      return expired;
    },
  };
}
