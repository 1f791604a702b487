// The one redaction of Coxswain. Log lines of crashed containers go to Slack,
// and applications print their configuration when they fail to start; the JSON
// log and the audit trail carry error messages and user input. Anything that
// looks like a credential is replaced before a line leaves the process.
//
// Linear time by construction. V8's regex engine backtracks: an unbounded
// quantifier that may start at every position and then fail rescans the rest
// of the line from each one (the old URL pattern took seconds on 64 KiB of
// `a-a-a-…`). Every pattern here keeps to three rules:
// - It starts on a literal or a rare character (`://`, `eyJ`, `ghp_`,
//   `-----BEGIN`, the `:` or `=` after a key such as `password`), which V8
//   searches for; what must come before it is a lookbehind after it.
// - A quantifier that something after it may still fail on (a JWT segment
//   before its `.`, a URL password before its `@`) is bounded by the size of a
//   real secret (`maxSecretChars`, 8 KiB: a JWT with a large claims set, a
//   Kerberos ticket), and no two attempts scan the same run: a JWT must start
//   where a run of its characters starts (a guard), a URL password stops at the
//   `/` of the next `://`. So each character is scanned a bounded number of
//   times, not once per position before it.
// - A quantifier at the end (a value, the rest of a token) always succeeds, so
//   whatever it scans it consumes and the search resumes after it. Its bound,
//   `rest` (64 KiB), is the longest line anything here matches on: it never
//   cuts a value short, so no tail of a secret is left behind.
// No quantifier is nested, and alternatives under a quantifier begin with
// different characters. The small bounds are the most anything real has: ≤ 8
// spaces around a separator, ≤ 7 backslashes before a quote (three levels of
// JSON in a string), a flag name ≤ 48, a URL scheme ≤ 32 and user ≤ 255, a PEM
// kind ≤ 40. The one loop (escapedEnd) looks at each quote once.
//
// Lines are capped before any matching (`maxLineChars` for Slack,
// `maxLogLineChars` for the log); PEM blocks are found with indexOf on the
// whole line first, so a BEGIN past the cap still opens a block. A value or
// shape that reaches the cap stops at the `…`, and the output is cut again
// (never inside a marker) if redaction made it longer than the cap.

/** Longest line shown in Slack, in UTF-16 units; a longer line is cut and ends with `…`. */
export const maxLineChars = 2048;
/**
 * Longest line of the JSON log and the audit trail. A pino line with a stack
 * trace is a few KiB; 64 KiB keeps every real one whole (and valid JSON), while
 * a runaway line cannot cost more than that. Longer lines are cut with `…`
 * rather than redacted in overlapping windows: windows would have to agree on
 * matches that straddle them, and a 64 KiB log line is already a bug.
 */
export const maxLogLineChars = 64 * 1024;

/** Longest part of a secret that something must follow (a JWT segment, a URL password). */
const maxSecretChars = 8192;
/** Longest run a trailing quantifier takes: a whole line. */
const rest = maxLogLineChars;
const marker = '[redacted]';
const keyMarker = '[redacted private key]';
const cut = '…';

// ---------------------------------------------------------------------------
// PEM private keys: the whole block, across lines, or inside one line with
// literal `\n` escapes (a GCP service-account JSON). Kind: up to 40 capitals,
// longer than any (`ENCRYPTED`, `OPENSSH`, `PGP … BLOCK`).

const pemBegin = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
const pemEnd = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;

interface Span {
  readonly start: number;
  readonly end: number;
}

/** The first `literal` at or after `from` that `shape` (sticky) matches in full. */
function findPem(line: string, from: number, literal: string, shape: RegExp): Span | undefined {
  for (let at = line.indexOf(literal, from); at !== -1; at = line.indexOf(literal, at + 1)) {
    shape.lastIndex = at;
    if (shape.test(line)) return { start: at, end: shape.lastIndex };
  }
  return undefined;
}

/** A line with its key blocks replaced; `text` undefined when nothing of it is left to show. */
interface PemCut {
  readonly text: string | undefined;
  readonly inside: boolean;
}

/** Replaces the blocks that begin on this line; a BEGIN without an END keeps the block open (fail closed). */
function cutBlocks(line: string, from: number): PemCut {
  let shown = '';
  let at = from;
  for (
    let begin = findPem(line, at, '-----BEGIN ', pemBegin);
    begin;
    begin = findPem(line, at, '-----BEGIN ', pemBegin)
  ) {
    shown += line.slice(at, begin.start) + keyMarker;
    const end = findPem(line, begin.end, '-----END ', pemEnd);
    if (!end) return { text: shown, inside: true };
    at = end.end;
  }
  return { text: shown + line.slice(at), inside: false };
}

/** One line of a text, given whether a key block is open before it. */
function cutPem(line: string, inside: boolean): PemCut {
  if (!inside) return cutBlocks(line, 0);
  const end = findPem(line, 0, '-----END ', pemEnd);
  if (!end) return { text: undefined, inside: true };
  if (line.slice(end.end).trim() === '') return { text: undefined, inside: false };
  return cutBlocks(line, end.end);
}

// ---------------------------------------------------------------------------
// Shapes replaced whole or in part by a pattern.

/** A pattern and what replaces each match (`$1` keeps the part that is not secret). */
type Replacement = readonly [RegExp, string];

/** A token recognised by its prefix: at least `min` characters of `body`, then the rest of the run. */
interface TokenShape {
  readonly prefix: string;
  readonly min: number;
  readonly body?: string;
}

// The left guard (no letter or digit before) keeps `task_test_runner` from
// reading as a Stripe key; the trailing run swallows what follows the shape, so
// a replacement never leaves half a token behind.
const tokenShapes: readonly TokenShape[] = [
  { prefix: 'xox[abposre]-', min: 6, body: 'A-Za-z0-9-' }, // Slack bot, user, config and refresh tokens
  { prefix: 'xapp-', min: 6, body: 'A-Za-z0-9-' }, // Slack app-level tokens
  { prefix: 'gh[pousr]_', min: 30 }, // GitHub classic, OAuth, user-to-server, server-to-server, refresh
  { prefix: 'github_pat_', min: 30, body: 'A-Za-z0-9_' }, // GitHub fine-grained
  { prefix: 'gl(?:pat|dt|rt|ptt|cbt|soat)-', min: 20, body: 'A-Za-z0-9_-' }, // GitLab personal, deploy, runner, trigger…
  { prefix: '(?:sk|rk)_(?:live|test)_', min: 16 }, // Stripe secret and restricted keys
  { prefix: 'whsec_', min: 24, body: 'A-Za-z0-9+/=' }, // Stripe webhook signing secrets
  { prefix: 'sq0(?:csp|atp)-', min: 22, body: 'A-Za-z0-9_-' }, // Square application secrets and access tokens
  { prefix: 'npm_', min: 36 }, // npm
  { prefix: 'pypi-AgEIcHlwaS5vcmc', min: 40, body: 'A-Za-z0-9_-' }, // PyPI
  { prefix: 'dckr_pat_', min: 20, body: 'A-Za-z0-9_-' }, // Docker Hub
  { prefix: 'hv[sbr]\\.', min: 24, body: 'A-Za-z0-9_-' }, // HashiCorp Vault service, batch, recovery tokens
  { prefix: 'AIza', min: 35, body: 'A-Za-z0-9_-' }, // Google API keys
  { prefix: 'A[KS]IA', min: 16, body: 'A-Z0-9' }, // AWS access key ids (long-term, temporary)
  { prefix: 'sk-(?:proj|svcacct|admin|ant-api03|ant-admin01)-', min: 20, body: 'A-Za-z0-9_-' }, // OpenAI, Anthropic
  { prefix: 'glsa_', min: 32, body: 'A-Za-z0-9_' }, // Grafana service accounts
  { prefix: 'hf_', min: 30 }, // Hugging Face
  { prefix: 'do[opr]_v1_', min: 64, body: 'a-f0-9' }, // DigitalOcean
  { prefix: 'AGE-SECRET-KEY-1', min: 50, body: 'A-Z0-9' }, // age
];

/**
 * `prefix` where nothing of `run` comes right before it. The guard comes after
 * the literal, not before it: V8 then looks for the literal and tries the guard
 * only where it found one, instead of at every position.
 */
function guarded(prefix: string, run: string): string {
  return `${prefix}(?<!${run}${prefix})`;
}

/**
 * All token shapes as one pattern (one pass over the line instead of one per
 * shape): each alternative fails within its prefix and `min`, and whichever
 * matches takes the rest of the run.
 */
const tokenPattern = new RegExp(
  `(?:${tokenShapes.map((shape) => `${guarded(shape.prefix, '[A-Za-z0-9]')}[${shape.body ?? 'A-Za-z0-9'}]{${shape.min}}`).join('|')})[A-Za-z0-9_-]{0,${rest}}`,
  'g',
);

/**
 * user:password@ in URLs: the password goes, scheme, user and host stay; an
 * empty user (redis://:pw@) too. It starts on `://`, with the scheme (a letter,
 * then up to 31 more: the longest registered has 31) looked at behind it; user
 * ≤ 255. Before the keys, or `x-access-token:` would take the host too.
 */
const urlCredentials: Replacement = [
  new RegExp(
    String.raw`(?<=[A-Za-z][A-Za-z0-9+.-]{0,31})(:\/\/[^\s/:@"'<>…]{0,255}:)[^\s/@"'<>…]{1,${maxSecretChars}}@`,
    'g',
  ),
  `$1${marker}@`,
];

const shapeRules: readonly Replacement[] = [
  // Incoming-webhook URLs: the team and hook ids stay, the secret goes.
  [
    new RegExp(
      String.raw`(hooks\.slack\.com\/services\/T[A-Z0-9]{1,31}\/B[A-Z0-9]{1,31}\/)[A-Za-z0-9]{8,${rest}}`,
      'g',
    ),
    `$1${marker}`,
  ],
  [
    new RegExp(String.raw`(discord(?:app)?\.com\/api\/webhooks\/[0-9]{1,32}\/)[A-Za-z0-9_-]{8,${rest}}`, 'g'),
    `$1${marker}`,
  ],
  // JWTs: three base64url segments, the first a JSON object (`eyJ` = `{"`).
  [
    new RegExp(
      String.raw`${guarded('eyJ', '[A-Za-z0-9_-]')}[A-Za-z0-9_-]{8,${maxSecretChars}}\.[A-Za-z0-9_-]{8,${maxSecretChars}}\.[A-Za-z0-9_-]{0,${rest}}`,
      'g',
    ),
    marker,
  ],
  [tokenPattern, marker],
  // Base64 of a PEM block (a Kubernetes Secret's tls.key, a kubeconfig's
  // client-key-data). Certificates too: a bundle may carry its key after them.
  [new RegExp(String.raw`${guarded('LS0tLS1CRUdJTi', '[A-Za-z0-9+/=]')}[A-Za-z0-9+/=]{20,${rest}}`, 'g'), marker],
  // `Bearer <token>` outside a header: 16+ characters, or 6+ with a digit, dot or symbol among the first 16 (a
  // short token, a JWT-like `abc.def.ghi`), but not the words of "bearer authentication".
  [
    new RegExp(
      String.raw`(${guarded('bearer', '[A-Za-z0-9_]')}[ \t]{1,8})(?:[A-Za-z0-9._~+/=-]{16,${rest}}|(?=[A-Za-z]{0,15}[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,${rest}})`,
      'gi',
    ),
    `$1${marker}`,
  ],
];

// ---------------------------------------------------------------------------
// Key = value: the key stays, the value goes, quoted or not.

/**
 * Key names whose value is a secret: the name ends with one of these (so
 * `DB_PASSWORD`, `github.token`, `aws_secret_access_key`, `clientSecret`, but
 * not `tokens`, `secretName` or `passwordless`). `pass` alone must not follow a
 * letter (`bypass`, `compass`).
 */
const secretKey = String.raw`(?:passw(?:or)?d|passphrase|pwd|(?<![a-z])pass|secret|token|api[_-]?key|access[_-]?key|private[_-]?key(?:[_-]?id)?|account[_-]?key|secret[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|credentials?|session[_-]?id)`;
/** Authorization schemes kept in front of the credential under any secret key (`auth_token: Bearer …`). */
const scheme = String.raw`(?:basic|bearer|token|bot|digest|negotiate|ntlm)`;
/** A value that is only a scheme is none (`Authorization: Bearer` at the end of a line). */
const knownScheme = new RegExp(`^${scheme}$`, 'i');
/** A value character outside quotes: not a space, quote, backslash, separator or the cut mark. */
const bare = String.raw`[^\s"'\`\\,;&…]`;
/** A backslash pair that is not a JSON escape of a quote, a newline, a tab or \u: part of the value. */
const escapePair = String.raw`\\[^\s"'nrtu…]`;
/**
 * The end of a quoted key (`"password":`), possibly escaped inside a JSON
 * string (`\"password\":`; up to 7 backslashes: JSON in a string in a string in
 * a log line), and the spaces before the operator.
 */
const keyEnd = String.raw`(?<kq>\\{0,7}["'])?[ \t]{0,8}`;
/**
 * Where a key head starts: its operator (=, :, :=, =>, ==), with the key
 * looked at behind it — `:` and `=` are rare in text, while a key's first
 * letter is at half the positions of a line.
 */
function operatorAfter(key: string): string {
  // The one-character look first rejects `::` and `==` runs cheaply.
  return String.raw`[:=](?<=[A-Za-z"'\\ \t][:=])(?<=${key}${keyEnd}[:=])[=>]{0,2}[ \t]{0,8}`;
}
const open = String.raw`(?<open>\\{1,7}["']|["'])?`;
/** A scheme is one only when a value follows it (`Authorization: abc123 …` has none: abc123 is the value). */
const valueStart = String.raw`(?=[^\s"'\`\\,;&…])`;

/**
 * Where a value starts: one pattern with an alternative per kind of key, so one
 * pass finds them all in order (a value that swallows the next key by an
 * unbalanced quote still leaves that key's value to be found). Alternatives
 * share group names, which only one of them sets (ES2025). Every alternative
 * starts on a character (`:`, `=`, `-`, `?`, `&`) that V8 looks for first.
 */
const keyHead = new RegExp(
  [
    // Authorization headers (Proxy- too): the first word is the scheme when a credential follows it;
    // Go prints headers as map[Authorization:[Bearer …]].
    String.raw`${operatorAfter('authorization')}(?<bracket>\[(?!redacted))?${open}(?<scheme>[A-Za-z][A-Za-z0-9_-]{0,31}[ \t]{1,8}${valueStart})?`,
    String.raw`${operatorAfter(secretKey)}${open}(?<scheme>${scheme}[ \t]{1,8}${valueStart})?`,
    // --password x (with `=` the alternative above applies); the value must not be the next flag.
    String.raw`${guarded('--', String.raw`[^\s'"]`)}[A-Za-z0-9_.-]{0,48}?${secretKey}[ \t]{1,8}${open}(?=[^\s-])`,
    // Signatures in query strings: Azure SAS (sig=), S3 and GCS presigned URLs.
    String.raw`[?&](?:sig|signature|x-amz-signature|x-goog-signature)=`,
  ].join('|'),
  'gi',
);

/** How far a value runs, by its opening quote (escaped quotes: `escapedEnd`). */
const valueBodies = {
  double: new RegExp(String.raw`(?:[^"\\…]|\\[^…]){1,${rest}}`, 'y'),
  single: new RegExp(String.raw`[^'\\…]{1,${rest}}`, 'y'),
  bare: new RegExp(`(?:${bare}|${escapePair}){1,${rest}}`, 'y'),
  /** After a quoted key or a bracket: a JSON or YAML scalar, which also ends at } and ]. */
  scalar: new RegExp(String.raw`(?:[^\s"'\`\\,;&}\]…]|${escapePair}){1,${rest}}`, 'y'),
};
/** Up to the next double quote (or cut mark). */
const toQuote = new RegExp(`[^"…]{0,${rest}}`, 'y');
/** A value that is already a marker is left as it is (a marker is never followed by a letter or digit). */
const redactedValue = /\[redacted(?: private key)?\](?![A-Za-z0-9_])/y;

type HeadGroups = Partial<Record<'kq' | 'bracket' | 'open' | 'scheme', string>>;

/**
 * How deep in JSON-in-a-string a quote after `run` backslashes closes a string:
 * 0 for `"`, 1 for `\"`, 2 for `\\\"`; `\\"` is an escaped backslash and then a
 * plain quote, 0 again.
 */
function quoteLevel(run: number): number {
  let level = 0;
  for (let r = run; r % 2 === 1; r = (r - 1) / 2) level += 1;
  return level;
}

/**
 * The end of a value opened by `\"` inside a JSON string (or `\\\"` a level
 * deeper): the first quote that closes a string at its level or an outer one.
 * A quote inside the value is escaped once more, so it does not end it; the
 * backslashes before the closing quote stay, so the JSON stays JSON. Each
 * quote is looked at once.
 */
function escapedEnd(line: string, at: number, depth: number): number {
  const level = quoteLevel(depth);
  let q = at;
  for (;;) {
    toQuote.lastIndex = q;
    toQuote.test(line);
    q = toQuote.lastIndex;
    if (line[q] !== '"') return q;
    let run = 0;
    while (run < q - at && line[q - run - 1] === '\\') run += 1;
    if (quoteLevel(run) <= level) return q - run;
    q += 1;
  }
}

function bodyFor(groups: HeadGroups): RegExp {
  if (groups.open === undefined)
    return groups.kq === undefined && groups.bracket === undefined ? valueBodies.bare : valueBodies.scalar;
  return groups.open === '"' ? valueBodies.double : valueBodies.single;
}

function bodyEnd(line: string, at: number, groups: HeadGroups): number {
  const open = groups.open ?? '';
  if (open.length > 1 && open.endsWith('"')) return escapedEnd(line, at, open.length - 1);
  const body = bodyFor(groups);
  body.lastIndex = at;
  return body.test(line) ? body.lastIndex : at;
}

/** The end of the value that starts at `at`, or undefined when there is nothing to redact there. */
function valueEnd(line: string, at: number, groups: HeadGroups): number | undefined {
  redactedValue.lastIndex = at;
  if (redactedValue.test(line)) return undefined;
  const end = bodyEnd(line, at, groups);
  if (end === at || (groups.scheme === undefined && end - at <= 9 && knownScheme.test(line.slice(at, end))))
    return undefined;
  return end;
}

/**
 * The marker, quoted like the key when the value was a bare scalar after a
 * quoted key (`"pwd":123` → `"pwd":"[redacted]"`), so a JSON line stays JSON.
 * Not after a scheme: `"Authorization":Basic x` was no JSON to keep, and a
 * quote after the scheme would read as no credential the next time round.
 */
function replacementFor(groups: HeadGroups): string {
  const kq = groups.kq;
  if (groups.open !== undefined || kq === undefined || groups.scheme !== undefined) return marker;
  const escaped = (kq.length - 1) % 2 === 1;
  const quote = escaped ? kq : kq.slice(-1);
  return `${quote}${marker}${quote}`;
}

/**
 * Every value after a `head` replaced. The search goes on right after each head,
 * not after its value: in `token: "abc password: "hunter2"` the first value runs
 * to the quote before hunter2 (an unbalanced quote), and the head inside it
 * still finds hunter2. A value that starts inside one already replaced is gone
 * with it; values are disjoint, so each character is scanned for a value once.
 */
function redactValues(line: string, head: RegExp): string {
  let out = '';
  let done = 0;
  head.lastIndex = 0;
  for (let m = head.exec(line); m !== null; m = head.exec(line)) {
    const groups: HeadGroups = m.groups ?? {};
    const at = m.index + m[0].length;
    const end = at < done ? undefined : valueEnd(line, at, groups);
    if (end === undefined) continue;
    out += line.slice(done, at) + replacementFor(groups);
    done = end;
    // A scheme may be a key itself (`Authorization: password := …`).
    head.lastIndex = at - (groups.scheme?.length ?? 0);
  }
  return out + line.slice(done);
}

// ---------------------------------------------------------------------------
// Lines.

/** Where to cut `line` to keep at most `limit` units: never inside a marker or a surrogate pair. */
function cutIndex(line: string, limit: number): number {
  let at = limit;
  const start = line.lastIndexOf('[redacted', at - 1);
  if (start !== -1) {
    const length = line.startsWith(keyMarker, start) ? keyMarker.length : marker.length;
    if (start + length > at) at = start;
  }
  const code = line.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** At most `cap` units: a longer line keeps what fits and ends with `…`. */
function capLine(line: string, cap: number): string {
  return line.length <= cap ? line : line.slice(0, cutIndex(line, cap - cut.length)) + cut;
}

/**
 * One line with no key block left in it. Keys go first: a shape can be a word
 * that is a key (`Bearer Proxy-Authorization: Basic …` would lose the key to
 * the Bearer pattern), while a value swallows any shape inside it.
 */
function redactShown(line: string, cap: number): string {
  let out = redactValues(capLine(line, cap).replace(...urlCredentials), keyHead);
  for (const [pattern, replacement] of shapeRules) out = out.replace(pattern, replacement);
  return capLine(out, cap);
}

function redactEach(lines: readonly string[], cap: number): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const pem = cutPem(line, inside);
    inside = pem.inside;
    if (pem.text !== undefined) out.push(redactShown(pem.text, cap));
  }
  return out;
}

/** `text` line by line; a trailing newline stays, even if a key block swallowed what was before it. */
function redactText(text: string, cap: number): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const out = redactEach(body.split('\n'), cap).join('\n');
  return body === text ? out : `${out}\n`;
}

/**
 * `text` (one line or many) with everything that looks like a credential
 * replaced by `[redacted]`, and private-key blocks by `[redacted private key]`:
 * what may be shown in Slack. Each line is cut to `maxLineChars`.
 */
export function redactSecrets(text: string): string {
  return redactText(text, maxLineChars);
}

/**
 * Log lines (a pod's log tail) redacted as one text: a private-key block that
 * spans lines is removed whole, so the result may have fewer lines.
 */
export function redactLines(lines: readonly string[]): string[] {
  return redactEach(lines, maxLineChars);
}

/**
 * The redaction of the JSON log and the audit trail: the same patterns, but
 * lines are kept whole up to `maxLogLineChars`, and a JSON line stays JSON.
 */
export function redactLogText(text: string): string {
  return redactText(text, maxLogLineChars);
}
