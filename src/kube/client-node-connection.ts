// A KubeConnection through client-node's KubeConfig, for credentials only it
// understands (auth-providers, proxies): each request is authenticated the way
// client-node's own Watch does it, on a dispatcher it makes for that request and
// that is closed with the request's body. Loaded only when needed (see
// kube-connection.ts): importing client-node costs a process about 80 MiB.
import * as k8s from '@kubernetes/client-node';
import { request } from 'undici';
import { kubeUrl, type KubeConnection } from './kube-request.ts';
import type { CredentialSource } from './kube-credentials.ts';

/** A connection over a KubeConfig loaded from `source`. */
export function clientNodeConnection(source: CredentialSource): KubeConnection {
  const config = new k8s.KubeConfig();
  if (source.kubeconfigPath === undefined) config.loadFromCluster();
  else config.loadFromFile(source.kubeconfigPath);
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig names no current cluster');
  return {
    server,
    async request(path, options = {}) {
      const url = kubeUrl(server, path, options.query);
      const method = options.method ?? 'GET';
      const context = new k8s.RequestContext(url.toString(), k8s.HttpMethod[method]);
      await config.applySecurityAuthentication(context);
      const dispatcher = context.getDispatcher();
      const body =
        options.body === undefined ? {} : { body: JSON.stringify(options.body), 'content-type': 'application/json' };
      try {
        const answer = await request(url, {
          method,
          headers: {
            ...context.getHeaders(),
            accept: 'application/json',
            ...(body['content-type'] ? { 'content-type': body['content-type'] } : {}),
          },
          ...(body.body !== undefined ? { body: body.body } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(dispatcher ? { dispatcher } : {}),
        });
        answer.body.once('close', () => {
          void dispatcher?.destroy().catch(() => undefined);
        });
        return { status: answer.statusCode, body: answer.body };
      } catch (error) {
        void dispatcher?.destroy().catch(() => undefined);
        throw error;
      }
    },
    close: () => Promise.resolve(),
  };
}
