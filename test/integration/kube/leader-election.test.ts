// Leader election against the real API server, as the bot's ServiceAccount
// (deploy/base/rbac.yaml): one leader among candidates, a fast hand-over when
// the leader stops, a hand-over only after the lease runs out when the leader
// is cut off from the API server (a TCP proxy we close), and never two leaders
// at once, sampled every 50 ms and counted through the callbacks.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import {
  startLeaderElection,
  type LeaderElection,
  type LeaderElectionOptions,
} from '../../../src/kube/leader-election.ts';
import { connectionOver, type KubeConnection } from '../../../src/kube/kube-connection.ts';
import { kubeconfigCredentials } from '../../../src/kube/kube-credentials.ts';
import type { LogLevel } from '../../../src/log/create-logger.ts';
import type { ClusterState } from '../../support/cluster/cluster.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { loadKubeConfig, testCluster } from '../../support/kube.ts';

jest.setTimeout(60_000);

const namespace = 'coxswain';
const timing = { leaseDurationMs: 3_000, renewEveryMs: 1_000, retryEveryMs: 300 } as const;

let cluster: ClusterState;
let admin: k8s.CoordinationV1Api;
let bot: KubeConnection;
/** Connections made for proxies, closed after each test. */
const connections: KubeConnection[] = [];

beforeAll(async () => {
  cluster = await testCluster();
  admin = loadKubeConfig(cluster.adminKubeconfig).makeApiClient(k8s.CoordinationV1Api);
  bot = connectionOver(kubeconfigCredentials(cluster.botKubeconfig));
});

afterAll(() => bot.close());

interface Entry {
  readonly at: number;
  readonly who: string;
  readonly what: string;
  readonly level?: LogLevel;
}

/** Everything that happened to the candidates of one test, in order, and how many led at once at most. */
class Timeline {
  readonly entries: Entry[] = [];
  leaders = 0;
  maxLeaders = 0;
  add(who: string, what: string, level?: LogLevel): void {
    this.entries.push({ at: Date.now(), who, what, ...(level ? { level } : {}) });
  }
  first(who: string, what: string): Entry | undefined {
    return this.entries.find((e) => e.who === who && e.what === what);
  }
}

interface Candidate {
  readonly id: string;
  readonly election: LeaderElection;
}

const running: LeaderElection[] = [];
const proxies: { close(): void }[] = [];
const leases: string[] = [];
const newLease = (): string => {
  const name = `le-test-${randomBytes(4).toString('hex')}`;
  leases.push(name);
  return name;
};

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
  for (const proxy of proxies.splice(0)) proxy.close();
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await Promise.all(
    leases.splice(0).map((name) => admin.deleteNamespacedLease({ name, namespace }).catch(() => undefined)),
  );
});

function candidate(
  timeline: Timeline,
  id: string,
  options: Partial<LeaderElectionOptions> & { name: string },
): Candidate {
  const election = startLeaderElection({
    connection: bot,
    namespace,
    identity: id,
    ...timing,
    onStartedLeading: () => {
      timeline.leaders += 1;
      timeline.maxLeaders = Math.max(timeline.maxLeaders, timeline.leaders);
      timeline.add(id, 'started');
    },
    onStoppedLeading: () => {
      timeline.leaders -= 1;
      timeline.add(id, 'stopped');
    },
    log: (level, message) => {
      if (level !== 'debug') timeline.add(id, message, level);
    },
    ...options,
  });
  running.push(election);
  return { id, election };
}

/** Samples isLeader() of every candidate every 50 ms; `stop` returns how many samples saw more than one leader. */
function sampleLeaders(candidates: readonly Candidate[]): { stop(): number; samples(): number } {
  let both = 0;
  let samples = 0;
  const timer = setInterval(() => {
    samples += 1;
    if (candidates.filter((c) => c.election.isLeader()).length > 1) both += 1;
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return both;
    },
    samples: () => samples,
  };
}

async function leaderOf(candidates: readonly Candidate[], what = 'a leader', timeoutMs = 10_000): Promise<Candidate> {
  let leader: Candidate | undefined;
  await waitUntil(
    async () => {
      leader = candidates.find((c) => c.election.isLeader());
      return leader !== undefined;
    },
    { what, timeoutMs, intervalMs: 20 },
  );
  return leader!;
}

const readLease = (name: string): Promise<k8s.V1Lease> => admin.readNamespacedLease({ name, namespace });

/** How a cut-off leader's calls fail: refused at once (port closed), or hanging until the request timeout. */
type Cut = 'refused' | 'hung';

/**
 * A TCP proxy to the API server. cut() drops every connection through it, as a
 * network partition would, then refuses new ones ('refused': the port is closed)
 * or accepts them and never answers ('hung').
 */
async function startProxy(
  target: string,
): Promise<{ readonly url: string; cut(how: Cut): Promise<void>; close(): void }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let mode: Cut | 'open' = 'open';
  const track = (s: Socket, peer?: Socket): void => {
    sockets.add(s);
    s.on('error', () => {
      s.destroy();
      peer?.destroy();
    });
    s.on('close', () => {
      sockets.delete(s);
      peer?.destroy();
    });
  };
  const server: Server = createServer((client) => {
    if (mode !== 'open') {
      track(client);
      return;
    }
    const upstream = connect(Number(port), hostname);
    track(client, upstream);
    track(upstream, client);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${address.port}`,
    cut: async (how) => {
      mode = how;
      const closed = how === 'refused' ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined;
      for (const s of sockets) s.destroy();
      await closed;
    },
    close: () => {
      if (server.listening) server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** The bot's connection, but reaching the API server through `server`. */
function botVia(server: string): KubeConnection {
  const via = connectionOver({ ...kubeconfigCredentials(cluster.botKubeconfig), server });
  connections.push(via);
  return via;
}

describe('startLeaderElection', () => {
  it('lets exactly one of two candidates lead, and writes the Lease as client-go does', async () => {
    const timeline = new Timeline();
    const name = newLease();
    const candidates = [candidate(timeline, 'a', { name }), candidate(timeline, 'b', { name })];
    const sampler = sampleLeaders(candidates);
    const leader = await leaderOf(candidates);
    // Several renewals and standby retries later, still the same single leader.
    await new Promise((r) => setTimeout(r, 2.5 * timing.renewEveryMs));
    expect(sampler.stop()).toBe(0);
    expect(candidates.filter((c) => c.election.isLeader()).map((c) => c.id)).toEqual([leader.id]);
    expect(timeline.entries.filter((e) => e.what === 'started').map((e) => e.who)).toEqual([leader.id]);
    const lease = await readLease(name);
    expect(lease.spec).toMatchObject({ holderIdentity: leader.id, leaseDurationSeconds: 3, leaseTransitions: 0 });
    expect(String(lease.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(timeline.entries.filter((e) => e.level === 'warn' || e.level === 'error')).toEqual([]);
  });

  it('hands over within about retryEveryMs when the leader stops (it releases the Lease)', async () => {
    const timeline = new Timeline();
    const name = newLease();
    const candidates = [candidate(timeline, 'a', { name }), candidate(timeline, 'b', { name })];
    const sampler = sampleLeaders(candidates);
    const first = await leaderOf(candidates);
    const standby = candidates.find((c) => c !== first)!;
    const stoppedAt = Date.now();
    await first.election.stop();
    expect(first.election.isLeader()).toBe(false);
    expect(timeline.first(first.id, 'stopped')).toBeDefined();
    await first.election.stop(); // idempotent
    expect(timeline.entries.filter((e) => e.who === first.id && e.what === 'stopped')).toHaveLength(1);

    await leaderOf([standby], 'the standby to take over');
    // Far less than the 3 s a lease that was not released would take to run out.
    expect(Date.now() - stoppedAt).toBeLessThan(timing.leaseDurationMs - 1_000);
    expect(timeline.first(standby.id, 'started')!.at).toBeGreaterThanOrEqual(timeline.first(first.id, 'stopped')!.at);
    expect(sampler.stop()).toBe(0);
    expect(timeline.maxLeaders).toBe(1);
    expect((await readLease(name)).spec).toMatchObject({ holderIdentity: standby.id, leaseTransitions: 1 });
  });

  it.each<Cut>(['refused', 'hung'])(
    'hands over only after the lease runs out when the leader is cut off (%s), and the cut-off one steps down first',
    async (how) => {
      const timeline = new Timeline();
      const name = newLease();
      const proxy = await startProxy(bot.server);
      proxies.push(proxy);
      const doomed = candidate(timeline, 'doomed', { name, connection: botVia(proxy.url) });
      await leaderOf([doomed], 'the first candidate to lead');
      const standby = candidate(timeline, 'standby', { name });
      const sampler = sampleLeaders([doomed, standby]);
      // Let the standby see the Lease at least once while it is renewed.
      await new Promise((r) => setTimeout(r, 2 * timing.renewEveryMs));
      expect(standby.election.isLeader()).toBe(false);

      const cutAt = Date.now();
      await proxy.cut(how);
      await leaderOf([standby], 'the standby to take over', 15_000);
      const stepped = timeline.first('doomed', 'stopped');
      const took = timeline.first('standby', 'started')!;
      expect(stepped).toBeDefined();
      expect(stepped!.at).toBeLessThan(took.at);
      // The doomed leader's last renewal was at most renewEveryMs before the cut, so the lease ran out
      // no sooner than leaseDuration − renewEvery after it; generous bounds on both sides.
      expect(took.at - cutAt).toBeGreaterThanOrEqual(timing.leaseDurationMs - timing.renewEveryMs - 500);
      expect(stepped!.at - cutAt).toBeLessThanOrEqual(timing.leaseDurationMs);
      expect(sampler.stop()).toBe(0);
      expect(timeline.maxLeaders).toBe(1);
      // One warning for the whole streak of failures, nothing thrown.
      const warnings = timeline.entries.filter(
        (e) => e.who === 'doomed' && e.level === 'warn' && e.at >= cutAt && !e.what.includes('stopped leading'),
      );
      expect(warnings).toHaveLength(1);
      // The first failure names the cut; a renewal in flight at that moment sees its socket destroyed first, which
      // undici reports as UND_ERR_SOCKET or, when the reset reaches the socket before undici does, ECONNRESET.
      expect(warnings[0]!.what).toMatch(
        how === 'refused'
          ? /unreachable \((ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET)\)/
          : /unreachable \((TimeoutError|UND_ERR_SOCKET|ECONNRESET)\)/,
      );
      // A hanging call is abandoned after requestTimeoutMs (default renewEveryMs), so stopping does not hang with it.
      const stopping = Date.now();
      await doomed.election.stop();
      expect(Date.now() - stopping).toBeLessThan(3 * timing.renewEveryMs);
      expect((await readLease(name)).spec).toMatchObject({ holderIdentity: 'standby', leaseTransitions: 1 });
    },
  );

  it('never has two leaders through repeated hand-overs among three candidates', async () => {
    const timeline = new Timeline();
    const name = newLease();
    const candidates = ['x', 'y', 'z'].map((id) => candidate(timeline, id, { name }));
    const sampler = sampleLeaders(candidates);
    let remaining = candidates;
    for (let round = 0; round < 2; round += 1) {
      const leader = await leaderOf(remaining);
      await leader.election.stop();
      remaining = remaining.filter((c) => c !== leader);
    }
    await leaderOf(remaining);
    expect(sampler.samples()).toBeGreaterThan(5);
    expect(sampler.stop()).toBe(0);
    expect(timeline.maxLeaders).toBe(1);
    expect(timeline.entries.filter((e) => e.what === 'started')).toHaveLength(3);
  });

  it('logs a missing RBAC permission as one error naming it, never leads, and does not throw', async () => {
    const timeline = new Timeline();
    // The bot may use Leases only in its own namespace.
    const outside = candidate(timeline, 'outsider', {
      name: `le-test-${randomBytes(4).toString('hex')}`,
      namespace: 'default',
    });
    await waitUntil(async () => timeline.entries.some((e) => e.level === 'error'), {
      what: 'the refusal to be logged',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    await new Promise((r) => setTimeout(r, 4 * timing.retryEveryMs));
    const errors = timeline.entries.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.what).toContain('may not get leases.coordination.k8s.io in namespace default');
    expect(outside.election.isLeader()).toBe(false);
    await outside.election.stop();
    expect(timeline.first('outsider', 'started')).toBeUndefined();
  });
});
