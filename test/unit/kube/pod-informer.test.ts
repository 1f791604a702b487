// The pod informer against a fake API server on 127.0.0.1 that answers from a
// script: paging, resuming from bookmarks and events, relisting on 410, backoff
// on 5xx and unreachable servers, fatal refusals, idle watches and stop().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { AppError } from '../../../src/errors.ts';
import { connectionOver, type KubeConnection } from '../../../src/kube/kube-connection.ts';
import {
  startPodInformer,
  type PodEventType,
  type PodInformer,
  type PodInformerOptions,
  type PodJson,
} from '../../../src/kube/pod-informer.ts';

type Step = (res: ServerResponse, url: URL) => void;

interface FakeApi {
  readonly url: string;
  /** Every request, in order. */
  readonly requests: URL[];
  /** Requests whose connection the client closed. */
  readonly closed: URL[];
  readonly lists: Step[];
  readonly watches: Step[];
  close(): Promise<void>;
}

/** Leaves the request unanswered (a watch with nothing to say; a hung server). */
const hang: Step = () => undefined;

function startFakeApi(): Promise<FakeApi> {
  const api = { requests: [] as URL[], closed: [] as URL[], lists: [] as Step[], watches: [] as Step[] };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    api.requests.push(url);
    res.on('close', () => {
      if (!res.writableFinished) api.closed.push(url);
    });
    const step = url.searchParams.get('watch') === 'true' ? api.watches.shift() : api.lists.shift();
    (step ?? hang)(res, url);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        ...api,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

const pod = (name: string, resourceVersion: string): PodJson => ({
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion },
});

function json(status: number, body: unknown): Step {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
}

function page(resourceVersion: string, items: PodJson[], continueToken?: string): Step {
  return json(200, {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion, ...(continueToken ? { continue: continueToken } : {}) },
    items,
  });
}

const status = (code: number, message: string): object => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  message,
  reason: 'X',
});

/** A watch answer: these events, then the end of the response unless `open`. */
function events(list: readonly { type: string; object: unknown }[], options: { open?: boolean } = {}): Step {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    for (const event of list) res.write(`${JSON.stringify(event)}\n`);
    if (!options.open) res.end();
  };
}

const bookmark = (resourceVersion: string): { type: string; object: unknown } => ({
  type: 'BOOKMARK',
  object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion } },
});

interface Recorded {
  readonly calls: string[];
  readonly errors: { error: AppError; retryInMs: number | undefined }[];
  readonly fatal: AppError[];
}

let api: FakeApi | undefined;
let informer: PodInformer | undefined;

afterEach(async () => {
  informer?.stop();
  informer = undefined;
  await connection?.close();
  connection = undefined;
  await api?.close();
  api = undefined;
});

let connection: KubeConnection | undefined;

function connectionTo(server: string): KubeConnection {
  connection = connectionOver({
    server,
    tls: { rejectUnauthorized: true },
    auth: () => Promise.resolve({ headers: { authorization: 'Bearer test-token' } }),
  });
  return connection;
}

function start(fake: FakeApi, options: Partial<PodInformerOptions> = {}): Recorded {
  const recorded: Recorded = { calls: [], errors: [], fatal: [] };
  informer = startPodInformer({
    connection: connectionTo(fake.url),
    namespace: 'shop',
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    onListStart: () => recorded.calls.push('start'),
    onPod: (type: PodEventType, p: PodJson) => recorded.calls.push(`${type} ${p.metadata?.name}`),
    onListEnd: () => recorded.calls.push('end'),
    onError: (error, retryInMs) => recorded.errors.push({ error, retryInMs }),
    onFatal: (error) => recorded.fatal.push(error),
    ...options,
  });
  return recorded;
}

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const watchesOf = (fake: FakeApi): URL[] => fake.requests.filter((u) => u.searchParams.get('watch') === 'true');
const listsOf = (fake: FakeApi): URL[] => fake.requests.filter((u) => u.searchParams.get('watch') !== 'true');

describe('startPodInformer', () => {
  it("lists page by page with limit and continue, then watches from the list's resourceVersion", async () => {
    api = await startFakeApi();
    api.lists.push(
      page('10', [pod('a', '3'), pod('b', '4')], 'c1'),
      page('10', [pod('c', '5'), pod('d', '6')], 'c2'),
      page('10', [pod('e', '7')]),
    );
    const recorded = start(api, { pageSize: 2, labelSelector: 'app=web', watchTimeoutSeconds: 240 });
    await until('the watch', () => watchesOf(api!).length === 1);
    expect(recorded.calls).toEqual(['start', 'LISTED a', 'LISTED b', 'LISTED c', 'LISTED d', 'LISTED e', 'end']);
    expect(
      listsOf(api).map((u) => [
        u.pathname,
        u.searchParams.get('limit'),
        u.searchParams.get('continue'),
        u.searchParams.get('labelSelector'),
      ]),
    ).toEqual([
      ['/api/v1/namespaces/shop/pods', '2', null, 'app=web'],
      ['/api/v1/namespaces/shop/pods', '2', 'c1', 'app=web'],
      ['/api/v1/namespaces/shop/pods', '2', 'c2', 'app=web'],
    ]);
    const [watch] = watchesOf(api);
    expect(Object.fromEntries(watch!.searchParams)).toEqual({
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: '10',
      timeoutSeconds: '240',
      labelSelector: 'app=web',
    });
    expect(informer?.synced()).toBe(true);
    expect(informer?.resourceVersion()).toBe('10');
  });

  it('lists all namespaces when no namespace is given', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    start(api, { namespace: undefined });
    await until('the watch', () => watchesOf(api!).length === 1);
    expect(api.requests.map((u) => u.pathname)).toEqual(['/api/v1/pods', '/api/v1/pods']);
  });

  it('hands over watch events, advances on every event and bookmark, and resumes there without relisting', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', [pod('a', '3')]));
    api.watches.push(
      events([{ type: 'ADDED', object: pod('b', '11') }, { type: 'MODIFIED', object: pod('a', '12') }, bookmark('15')]),
      events([{ type: 'DELETED', object: pod('b', '16') }]),
    );
    const recorded = start(api);
    await until('the third watch', () => watchesOf(api!).length === 3);
    expect(recorded.calls).toEqual(['start', 'LISTED a', 'end', 'ADDED b', 'MODIFIED a', 'DELETED b']);
    expect(watchesOf(api).map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '15', '16']);
    expect(listsOf(api)).toHaveLength(1);
    expect(recorded.errors).toEqual([]);
  });

  it('relists on a watch ERROR event with code 410, and on an HTTP 410', async () => {
    api = await startFakeApi();
    api.lists.push(
      page('10', [pod('a', '3')]),
      page('20', [pod('a', '3'), pod('b', '18')]),
      page('30', [pod('b', '18')]),
    );
    api.watches.push(
      events([{ type: 'ERROR', object: status(410, 'too old resource version: 10 (19)') }], { open: true }),
      json(410, status(410, 'Gone')),
    );
    const recorded = start(api);
    await until('the third watch', () => watchesOf(api!).length === 3);
    expect(recorded.calls).toEqual([
      'start',
      'LISTED a',
      'end',
      'start',
      'LISTED a',
      'LISTED b',
      'end',
      'start',
      'LISTED b',
      'end',
    ]);
    expect(watchesOf(api).map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '20', '30']);
    expect(recorded.errors).toEqual([]);
  });

  it('relists from scratch when a continue token has expired (410 mid-list)', async () => {
    api = await startFakeApi();
    api.lists.push(
      page('10', [pod('a', '3')], 'c1'),
      json(410, status(410, 'The provided continue parameter is too old')),
      page('12', [pod('a', '3')], 'c9'),
      page('12', [pod('b', '11')]),
    );
    const recorded = start(api, { pageSize: 1 });
    await until('the watch', () => watchesOf(api!).length === 1);
    expect(recorded.calls).toEqual(['start', 'LISTED a', 'start', 'LISTED a', 'LISTED b', 'end']);
    expect(listsOf(api).map((u) => u.searchParams.get('continue'))).toEqual([null, 'c1', null, 'c9']);
    expect(watchesOf(api)[0]?.searchParams.get('resourceVersion')).toBe('12');
  });

  it('retries 5xx and 429 with a growing, capped, jittered backoff and reports each failure', async () => {
    api = await startFakeApi();
    api.lists.push(
      json(500, status(500, 'etcd down')),
      json(503, status(503, 'x')),
      json(429, status(429, 'slow down')),
      json(500, status(500, 'x')),
      page('10', []),
    );
    const recorded = start(api);
    await until('the watch', () => watchesOf(api!).length === 1);
    expect(recorded.errors.map((e) => e.error.code)).toEqual([
      'unavailable',
      'unavailable',
      'unavailable',
      'unavailable',
    ]);
    const steps = [10, 20, 40, 40];
    recorded.errors.forEach(({ retryInMs }, i) => {
      expect(retryInMs).toBeGreaterThanOrEqual(steps[i]! / 2);
      expect(retryInMs).toBeLessThanOrEqual(steps[i]!);
    });
    expect(recorded.calls).toEqual(['start', 'start', 'start', 'start', 'start', 'end']);
    expect(recorded.fatal).toEqual([]);
  });

  it('retries an unreachable server as unavailable', async () => {
    api = await startFakeApi();
    const url = api.url;
    await api.close();
    api = undefined;
    const recorded = start({ url } as FakeApi);
    await until('three failures', () => recorded.errors.length >= 3);
    expect(recorded.errors[0]?.error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(recorded.errors[0]?.error.userMessage).toContain('unreachable (ECONNREFUSED)');
    expect(informer?.synced()).toBe(false);
  });

  it.each([
    [403, 'forbidden'],
    [401, 'forbidden'],
    [404, 'not_found'],
    [400, 'bad_input'],
  ])('stops on HTTP %i (%s) before the first sync, and says so once', async (code, errorCode) => {
    api = await startFakeApi();
    api.lists.push(
      json(
        code,
        status(code, 'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "shop"'),
      ),
    );
    const recorded = start(api);
    await until('the fatal error', () => recorded.fatal.length === 1);
    await sleep(100);
    expect(recorded.fatal.map((e) => e.code)).toEqual([errorCode]);
    expect(recorded.errors).toEqual([]);
    expect(api.requests).toHaveLength(1);
  });

  it('retries a refusal once it has synced (a restarting API server refuses for a moment), and resumes', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    api.watches.push(
      json(403, status(403, 'no')),
      json(401, status(401, 'who')),
      events([{ type: 'ADDED', object: pod('a', '11') }], { open: true }),
    );
    const recorded = start(api);
    await until('the pod', () => recorded.calls.includes('ADDED a'));
    expect(recorded.errors.map((e) => e.error.code)).toEqual(['forbidden', 'forbidden']);
    expect(recorded.fatal).toEqual([]);
  });

  it('gives up once refusals after the sync have lasted refusalGraceMs', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    const refuse = json(403, status(403, 'no'));
    api.watches.push(...Array.from({ length: 50 }, () => refuse));
    const recorded = start(api, { refusalGraceMs: 100, maxBackoffMs: 20 });
    await until('the fatal error', () => recorded.fatal.length === 1);
    expect(recorded.fatal[0]?.code).toBe('forbidden');
    expect(recorded.errors.length).toBeGreaterThan(1);
    const count = api.requests.length;
    await sleep(100);
    expect(api.requests).toHaveLength(count);
  });

  it('treats a watch ERROR event other than 410 as a failure to retry', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    api.watches.push(events([{ type: 'ERROR', object: status(500, 'internal error') }], { open: true }));
    const recorded = start(api);
    await until('the second watch', () => watchesOf(api!).length === 2);
    expect(recorded.errors.map((e) => e.error.code)).toEqual(['unavailable']);
    expect(watchesOf(api).map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '10']);
  });

  it('resumes an idle watch quietly, without growing the backoff', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    api.watches.push(
      events([bookmark('11')], { open: true }),
      events([], { open: true }),
      events([], { open: true }),
      json(500, status(500, 'x')),
    );
    const recorded = start(api, { idleTimeoutMs: 100, initialBackoffMs: 10, maxBackoffMs: 10_000 });
    await until('the fifth watch', () => watchesOf(api!).length === 5);
    expect(watchesOf(api).map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '11', '11', '11', '11']);
    expect(api.closed).toHaveLength(3);
    // Three idle ends did not count: the failure after them is only the second step (20 ms), not the fifth (160 ms).
    expect(recorded.errors).toHaveLength(1);
    expect(recorded.errors[0]?.retryInMs).toBeLessThanOrEqual(20);
  });

  it('times out a list page that never comes and retries it', async () => {
    api = await startFakeApi();
    api.lists.push(hang, page('10', [pod('a', '1')]));
    const recorded = start(api, { requestTimeoutMs: 100 });
    await until('the watch', () => watchesOf(api!).length === 1);
    expect(recorded.errors.map((e) => [e.error.code, e.error.userMessage])).toEqual([
      ['unavailable', expect.stringContaining('did not answer within')],
    ]);
    expect(recorded.calls).toEqual(['start', 'start', 'LISTED a', 'end']);
  });

  it('starts from a given resourceVersion without listing, and lists when it is too old', async () => {
    api = await startFakeApi();
    api.watches.push(json(410, status(410, 'too old')));
    api.lists.push(page('50', [pod('a', '40')]));
    const recorded = start(api, { resumeFrom: '5' });
    expect(informer?.resourceVersion()).toBe('5');
    await until('the second watch', () => watchesOf(api!).length === 2);
    expect(
      api.requests.map((u) =>
        u.searchParams.get('watch') === 'true' ? `watch@${u.searchParams.get('resourceVersion')}` : 'list',
      ),
    ).toEqual(['watch@5', 'list', 'watch@50']);
    expect(recorded.calls).toEqual(['start', 'LISTED a', 'end']);
  });

  it('stop() ends the watch in flight, cancels a pending retry, and may be called twice', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    start(api);
    await until('the watch', () => watchesOf(api!).length === 1);
    informer?.stop();
    informer?.stop();
    await until('the watch to be closed', () => api!.closed.length === 1);

    api.lists.push(json(500, status(500, 'x')));
    const recorded = start(api, { initialBackoffMs: 200, maxBackoffMs: 200 });
    await until('the failure', () => recorded.errors.length === 1);
    const before = api.requests.length;
    informer?.stop();
    await sleep(300);
    expect(api.requests).toHaveLength(before);
  });

  it('keeps going when a pod callback throws: the event comes again after a retry', async () => {
    api = await startFakeApi();
    api.lists.push(page('10', []));
    api.watches.push(
      events([{ type: 'ADDED', object: pod('a', '11') }]),
      events([{ type: 'ADDED', object: pod('a', '11') }]),
    );
    let throws = true;
    const seen: string[] = [];
    const recorded = start(api, {
      onPod: (type, p) => {
        seen.push(`${type} ${p.metadata?.name}`);
        if (throws) {
          throws = false;
          throw new Error('caller bug');
        }
      },
    });
    await until('the third watch', () => watchesOf(api!).length === 3);
    expect(seen).toEqual(['ADDED a', 'ADDED a']);
    expect(recorded.errors.map((e) => e.error.code)).toEqual(['internal']);
    expect(watchesOf(api).map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '10', '11']);
  });
});
