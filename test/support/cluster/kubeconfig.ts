import { readFile, writeFile } from 'node:fs/promises';

/** Who a kubeconfig authenticates as: a client certificate, or a bearer token. */
export type KubeconfigCredentials =
  { readonly clientCert: string; readonly clientKey: string } | { readonly token: string };

/** What goes into one kubeconfig file. */
export interface KubeconfigOptions {
  readonly server: string;
  readonly caCert: string;
  readonly user: string;
  readonly credentials: KubeconfigCredentials;
}

const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');

/**
 * Writes a self-contained kubeconfig (certificates embedded), so the file can be
 * copied or handed to a child process without the cluster's directory.
 */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<void> {
  const { server, caCert, user, credentials } = options;
  const userBlock =
    'token' in credentials
      ? `    token: ${credentials.token}`
      : `    client-certificate-data: ${await b64(credentials.clientCert)}\n    client-key-data: ${await b64(credentials.clientKey)}`;
  const text = `apiVersion: v1
kind: Config
clusters:
- name: coxswain-test
  cluster:
    server: ${server}
    certificate-authority-data: ${await b64(caCert)}
users:
- name: ${user}
  user:
${userBlock}
contexts:
- name: ${user}@coxswain-test
  context:
    cluster: coxswain-test
    user: ${user}
current-context: ${user}@coxswain-test
`;
  await writeFile(path, text, { mode: 0o600 });
}
