// Reading the bot's credentials without client-node: what each kind of
// kubeconfig user turns into on the wire, and which ones are left to client-node.
// A plain-HTTP fake API server shows the headers a request really carries.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOver, kubeJson, openKubeConnection } from '../../../src/kube/kube-connection.ts';
import {
  inClusterCredentials,
  kubeconfigCredentials,
  UnsupportedCredentials,
} from '../../../src/kube/kube-credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'kube-credentials-'));
let server: Server;
let url: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ gitVersion: 'v1.35.0' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let files = 0;
function kubeconfig(user: string, cluster = `server: ${url}`): string {
  const path = join(dir, `config-${(files += 1)}`);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    ${cluster}
users:
- name: u
  user:
${user
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`,
  );
  return path;
}

/** The headers the fake server saw for one GET /version through a connection made from `path`. */
async function headersSent(path: string): Promise<IncomingHttpHeaders> {
  const connection = await openKubeConnection({ kubeconfigPath: path });
  try {
    await kubeJson(connection, '/version');
    return seen.at(-1) ?? {};
  } finally {
    await connection.close();
  }
}

describe('kubeconfig users', () => {
  it('a token is sent as a bearer token', async () => {
    expect((await headersSent(kubeconfig('token: abc.def'))).authorization).toBe('Bearer abc.def');
  });

  it("a tokenFile is read (relative to the kubeconfig's directory)", async () => {
    writeFileSync(join(dir, 'token'), 'from-a-file\n');
    expect((await headersSent(kubeconfig('tokenFile: token'))).authorization).toBe('Bearer from-a-file');
  });

  it('username and password become basic auth', async () => {
    expect((await headersSent(kubeconfig('username: ann\npassword: s3cret'))).authorization).toBe(
      `Basic ${Buffer.from('ann:s3cret').toString('base64')}`,
    );
  });

  it('as and as-groups become one Impersonate-User line and one Impersonate-Group line per group', async () => {
    const connection = await openKubeConnection({
      kubeconfigPath: kubeconfig('token: t\nas: alice\nas-groups: [dev, ops]'),
    });
    await kubeJson(connection, '/version');
    await connection.close();
    const headers = seen.at(-1) ?? {};
    expect(headers['impersonate-user']).toBe('alice');
    // Node joins repeated request lines with ', ' when reading them; two lines were sent.
    expect(headers['impersonate-group']).toBe('dev, ops');
  });

  it("an exec plugin's token is used, and kept until shortly before it expires", async () => {
    const counter = join(dir, 'runs');
    writeFileSync(counter, '');
    const plugin = join(dir, 'plugin.mjs');
    writeFileSync(
      plugin,
      `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(counter)}, 'x');
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential',
  status: { token: 'exec-' + process.env.PLUGIN_FLAVOUR, expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() } }));
`,
    );
    const path = kubeconfig(`exec:
  apiVersion: client.authentication.k8s.io/v1
  command: ${process.execPath}
  args: [${plugin}]
  env: [{ name: PLUGIN_FLAVOUR, value: mint }]
  interactiveMode: Never`);
    const connection = await openKubeConnection({ kubeconfigPath: path });
    for (let i = 0; i < 3; i += 1) await kubeJson(connection, '/version');
    await connection.close();
    expect(seen.at(-1)?.authorization).toBe('Bearer exec-mint');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(counter, 'utf8')).toBe('x');
  });

  it('an exec plugin that fails is reported with its command, and the request is not sent', async () => {
    const before = seen.length;
    const path = kubeconfig(
      `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ${process.execPath}\n  args: [-e, "process.exit(3)"]`,
    );
    const connection = await openKubeConnection({ kubeconfigPath: path });
    await expect(kubeJson(connection, '/version')).rejects.toThrow(/exec plugin .*node.* failed/u);
    await connection.close();
    expect(seen.length).toBe(before);
  });

  it('a user with no credentials sends no Authorization header', async () => {
    expect((await headersSent(kubeconfig('{}'))).authorization).toBeUndefined();
  });
});

describe('what is left to client-node', () => {
  it('an auth-provider or a proxy-url is reported as unsupported here', () => {
    expect(() => kubeconfigCredentials(kubeconfig('auth-provider: { name: oidc, config: { id-token: x } }'))).toThrow(
      UnsupportedCredentials,
    );
    expect(() =>
      kubeconfigCredentials(kubeconfig('token: t', `server: ${url}\n    proxy-url: http://127.0.0.1:1`)),
    ).toThrow(/proxy/u);
  });

  it('openKubeConnection then goes through client-node, and says so', async () => {
    // An OIDC id-token that expires in an hour: client-node's auth-provider sends it as a bearer token.
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${part({ alg: 'none' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
    const notes: string[] = [];
    const connection = await openKubeConnection(
      // client-node takes plain HTTP only with TLS verification off.
      {
        kubeconfigPath: kubeconfig(
          `auth-provider:\n  name: oidc\n  config: { id-token: ${idToken}, client-id: coxswain, idp-issuer-url: http://127.0.0.1:1 }`,
          `server: ${url}\n    insecure-skip-tls-verify: true`,
        ),
      },
      (note) => notes.push(note),
    );
    expect(await kubeJson(connection, '/version')).toEqual({ gitVersion: 'v1.35.0' });
    await connection.close();
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${idToken}`);
    expect(notes.join()).toMatch(/auth-provider.*client-node/u);
  });
});

describe('broken kubeconfigs', () => {
  it('name the file and what is missing', () => {
    const path = join(dir, 'broken');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\ncontexts: []\nclusters: []\nusers: []\ncurrent-context: gone\n');
    expect(() => kubeconfigCredentials(path)).toThrow(`${path}: no context named "gone"`);
    expect(() => kubeconfigCredentials(kubeconfig('token: t', 'insecure-skip-tls-verify: true'))).toThrow(
      /names no server/u,
    );
  });
});

describe('in a pod', () => {
  it("uses the service account's token and CA", async () => {
    const account = mkdtempSync(join(dir, 'sa-'));
    writeFileSync(join(account, 'token'), 'pod-token\n');
    writeFileSync(join(account, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
    const credentials = inClusterCredentials(url, account);
    expect(credentials.tls).toEqual({ ca: '-----BEGIN CERTIFICATE-----\n', rejectUnauthorized: true });
    const connection = connectionOver(credentials);
    await kubeJson(connection, '/version');
    await connection.close();
    expect(seen.at(-1)?.authorization).toBe('Bearer pod-token');
  });

  it('fails at once when no service account is mounted', () => {
    expect(() => inClusterCredentials(url, join(dir, 'nowhere'))).toThrow(/ENOENT/u);
  });
});
