// Zod validators for the words commands take, shared so every command refuses
// the same bad input with the same words.
import { z } from 'zod';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace: a DNS-1123 label. */
export const namespaceName = z
  .string()
  .max(63, 'a namespace has at most 63 characters')
  .regex(dns1123Label, 'a namespace is lowercase letters, digits and -, starting and ending with a letter or digit');

/** A container name: a DNS-1123 label. */
export const containerName = z
  .string()
  .max(63, 'a container name has at most 63 characters')
  .regex(dns1123Label, 'a container name is lowercase letters, digits and -');

/** An object name (pods, deployments): a DNS-1123 subdomain. */
export const objectName = (what: string): z.ZodString =>
  z
    .string()
    .max(253, `a ${what} name has at most 253 characters`)
    .regex(
      dns1123Subdomain,
      `a ${what} name is lowercase letters, digits, - and ., starting and ending with a letter or digit`,
    );

/** A deployment name; `deploy/x`, `deployment/x` and `deployments.apps/x` are accepted as kubectl accepts them. */
export const deploymentName = z
  .string()
  .transform((s) => s.replace(/^(?:deploy|deployment|deployments)(?:\.apps)?\//i, ''))
  .pipe(objectName('deployment'));

/** A pod name; `pod/x` and `po/x` are accepted. */
export const podName = z
  .string()
  .transform((s) => s.replace(/^(?:po|pod|pods)\//i, ''))
  .pipe(objectName('pod'));

// The OCI distribution reference grammar (github.com/distribution/reference).
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const reference = new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`);

/** An image reference: [registry[:port]/]repository[:tag][@digest]. */
export const imageReference = z
  .string()
  .max(512, 'an image reference has at most 512 characters')
  .refine((s) => reference.test(s), {
    message:
      'not an image reference; expected [registry/]repository[:tag][@sha256:digest], e.g. ghcr.io/acme/web:1.4.2',
  })
  .refine((s) => (s.split('@')[0] ?? '').replace(/:[\w][\w.-]*$/, '').length <= 255, {
    message: 'the repository name is longer than 255 characters',
  });

/** A whole number of replicas from 0 to `max`. */
export const replicaCount = (max: number): z.ZodType<number, string> =>
  z
    .string()
    .regex(/^\d+$/, 'replicas is a whole number, e.g. 3')
    .transform(Number)
    .pipe(z.number().max(max, `at most ${max} replicas (COXSWAIN_MAX_REPLICAS)`));

/** A positive whole number within bounds, from a word. */
export const boundedCount = (what: string, min: number, max: number): z.ZodType<number, string> =>
  z
    .string()
    .regex(/^\d+$/, `${what} is a whole number`)
    .transform(Number)
    .pipe(z.number().min(min, `${what} is at least ${min}`).max(max, `${what} is at most ${max}`));

/** A Kubernetes label selector, e.g. app=web,tier!=cache. */
export const labelSelector = z
  .string()
  .max(512)
  .regex(
    /^[A-Za-z0-9_./-]+(?:\s*(?:=|==|!=)\s*[A-Za-z0-9_.-]*|\s+(?:in|notin)\s+\([A-Za-z0-9_.,\s-]*\))?(?:,[A-Za-z0-9_./!-]+(?:\s*(?:=|==|!=)\s*[A-Za-z0-9_.-]*|\s+(?:in|notin)\s+\([A-Za-z0-9_.,\s-]*\))?)*$/,
    'not a label selector; e.g. app=web or tier!=cache',
  );

/** A boolean flag as the parser binds it (present → true). */
export const flag = z.boolean().default(false);

/** `-n/--namespace`, which every command acting in a namespace takes. */
export const namespaceFlag = {
  short: 'n',
  kind: 'value',
  description: 'namespace (default: the configured one)',
} as const;

/** The shape of commands that act on one deployment: `<deployment> [-n namespace]`. */
export const deploymentTarget = { deployment: deploymentName, namespace: namespaceName };
