import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of the certificates and keys generated for one test cluster. */
export interface ClusterCertificates {
  readonly caCert: string;
  readonly caKey: string;
  readonly apiServerCert: string;
  readonly apiServerKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly kubeletClientCert: string;
  readonly kubeletClientKey: string;
  readonly kwokCert: string;
  readonly kwokKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

interface LeafOptions {
  readonly name: string;
  readonly subject: string;
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly sans?: string;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function issueLeaf(dir: string, leaf: LeafOptions): Promise<void> {
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${leaf.usage}`,
    ...(leaf.sans ? [`subjectAltName=${leaf.sans}`] : []),
  ].join('\n');
  await writeFile(join(dir, `${leaf.name}.ext`), ext + '\n');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${leaf.name}.key`], dir);
  await openssl(['req', '-new', '-key', `${leaf.name}.key`, '-subj', leaf.subject, '-out', `${leaf.name}.csr`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${leaf.name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${leaf.name}.ext`,
      '-out',
      `${leaf.name}.crt`,
    ],
    dir,
  );
}

const serverSans = 'IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc';

/** A throwaway CA (ca.crt, ca.key) in `dir`. */
async function createCa(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=coxswain-test-ca',
      '-days',
      '30',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
}

/** A CA and one server certificate it signed, for 127.0.0.1 and localhost (a TLS redis-server of a test's own). */
export async function generateServerCertificate(
  dir: string,
  name: string,
): Promise<{ readonly caCert: string; readonly cert: string; readonly key: string }> {
  await createCa(dir);
  await issueLeaf(dir, { name, subject: `/CN=${name}`, usage: 'serverAuth', sans: 'IP:127.0.0.1,DNS:localhost' });
  return { caCert: join(dir, 'ca.crt'), cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Generates a throwaway CA and every certificate the control plane needs, with
 * openssl (Node can make keys but not X.509 certificates). Elliptic-curve keys
 * keep this well under a second; the service-account signing key is RSA, which
 * every Kubernetes version accepts.
 */
export async function generateCertificates(dir: string): Promise<ClusterCertificates> {
  await createCa(dir);
  await issueLeaf(dir, { name: 'apiserver', subject: '/CN=kube-apiserver', usage: 'serverAuth', sans: serverSans });
  await issueLeaf(dir, { name: 'admin', subject: '/O=system:masters/CN=coxswain-test-admin', usage: 'clientAuth' });
  await issueLeaf(dir, {
    name: 'kubelet-client',
    subject: '/O=system:masters/CN=kube-apiserver-kubelet-client',
    usage: 'clientAuth',
  });
  await issueLeaf(dir, {
    name: 'kwok',
    subject: '/CN=kwok-kubelet',
    usage: 'serverAuth',
    sans: 'IP:127.0.0.1,DNS:localhost',
  });
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  const at = (file: string): string => join(dir, file);
  return {
    caCert: at('ca.crt'),
    caKey: at('ca.key'),
    apiServerCert: at('apiserver.crt'),
    apiServerKey: at('apiserver.key'),
    adminCert: at('admin.crt'),
    adminKey: at('admin.key'),
    kubeletClientCert: at('kubelet-client.crt'),
    kubeletClientKey: at('kubelet-client.key'),
    kwokCert: at('kwok.crt'),
    kwokKey: at('kwok.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPub: at('sa.pub'),
  };
}
