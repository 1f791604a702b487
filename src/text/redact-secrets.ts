// Log lines of crashed containers go into Slack channels; applications print
// their configuration when they fail to start. Anything that looks like a
// credential is replaced before a line leaves the cluster.
import { redact } from '../log/create-logger.ts';

/** `password=…`, `"apiKey": "…"`, `secret: …`, `token=…` and the like: the key stays, the value goes. */
const keyValue = /((?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth(?:orization)?|session[_-]?id)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;
/** user:password@ in URLs (database and broker URLs). */
const urlCredentials = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi;
/** AWS access key ids, GitHub tokens, PEM private keys. */
const knownShapes = [/\bAKIA[0-9A-Z]{16}\b/g, /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, /-----BEGIN [A-Z ]*PRIVATE KEY-----/g];

/** The line with secrets-looking values replaced by [redacted]. */
export function redactSecrets(line: string): string {
  let out = redact(line).replace(keyValue, (_m, key: string, value: string) => `${key}${/^["']/.test(value) ? `${value[0]}[redacted]${value[0]}` : '[redacted]'}`).replace(urlCredentials, '$1[redacted]@');
  for (const shape of knownShapes) out = out.replace(shape, '[redacted]');
  return out;
}
