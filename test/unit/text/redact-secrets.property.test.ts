// Properties of the redaction over generated text: redacting twice changes
// nothing, lines stay within the cap, a planted secret never survives, a JSON
// log line stays JSON; and adversarial 64 KiB lines come out right. Timing is
// not asserted here (bench/redact.ts measures it).
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  maxLineChars,
  maxLogLineChars,
  redactLines,
  redactLogText,
  redactSecrets,
} from '../../../src/text/redact-secrets.ts';

const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const digits = '0123456789';
const alnum = `${upper}${upper.toLowerCase()}${digits}`;
const base64url = `${alnum}_-`;

function chars(set: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...set), minLength, maxLength });
}

/** Pieces that the patterns start on or stop at, mixed with words: what makes a redaction go wrong if anything does. */
const fragments = [
  'password',
  'pwd',
  'pass',
  'token',
  'secret',
  'api_key',
  'Authorization',
  'Bearer ',
  'Basic ',
  '--',
  '=',
  ': ',
  ':',
  ':=',
  '=>',
  '"',
  "'",
  '\\',
  '\\"',
  '\\n',
  ',',
  ';',
  '&',
  '?',
  '#',
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
  ' ',
  '\t',
  '\n',
  '…',
  '[redacted]',
  '[redacted private key]',
  '://',
  '@',
  '/',
  'eyJ',
  '.',
  'AKIA',
  'ghp_',
  'xoxb-',
  'sk_live_',
  'LS0tLS1CRUdJTi',
  'sig=',
  '-----BEGIN PRIVATE KEY-----',
  '-----END PRIVATE KEY-----',
  'hooks.slack.com/services/T1/B2/',
  'é',
  '😀',
];
const noise = fc
  .array(fc.oneof(fc.constantFrom(...fragments), chars(alnum, 1, 12)), { maxLength: 40 })
  .map((xs) => xs.join(''));
/** Noise after a long run, so that lines reach the cap (and redaction makes them longer than it). */
const longNoise = fc
  .tuple(fc.constantFrom('x', 'ab ', 'pwd=a ', '"k":1,'), fc.nat({ max: 2100 }), noise)
  .map(([unit, n, tail]) => unit.repeat(Math.ceil(n / unit.length)) + tail);
const text = fc.oneof(noise, longNoise);

describe('redaction properties', () => {
  it('is idempotent: redacting twice is redacting once', () => {
    fc.assert(
      fc.property(text, (t) => {
        const once = redactSecrets(t);
        expect(redactSecrets(once)).toBe(once);
        const logged = redactLogText(t);
        expect(redactLogText(logged)).toBe(logged);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent over a log tail', () => {
    fc.assert(
      fc.property(fc.array(noise, { maxLength: 8 }), (lines) => {
        const once = redactLines(lines);
        expect(redactLines(once)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('never makes a line longer than the cap', () => {
    fc.assert(
      fc.property(text, (t) => {
        for (const line of redactSecrets(t).split('\n')) expect(line.length).toBeLessThanOrEqual(maxLineChars);
      }),
      { numRuns: 2000 },
    );
  });
});

/** A secret in the form it takes in a line, and the part that must not survive. */
interface Planted {
  readonly text: string;
  readonly secret: string;
}

const scheme = fc.constantFrom('postgres', 'postgresql', 'mysql', 'redis', 'rediss', 'amqp', 'mongodb+srv', 'https');
const urlSecret = chars(`${alnum}!$%*+~._-`, 12, 40);
const urlCredentials = fc
  .record({ scheme, user: chars(alnum, 0, 10), pw: urlSecret })
  .map(({ scheme: s, user, pw }): Planted => ({ text: `${s}://${user}:${pw}@db.internal:5432/app`, secret: pw }));

const credential = chars(`${alnum}+/=`, 16, 60);
const authorization = fc
  .record({
    form: fc.constantFrom(
      'Authorization: S C',
      'authorization: S C',
      '"authorization":"S C"',
      "-H 'Authorization: S C'",
      'Proxy-Authorization: S C',
      String.raw`{\"Authorization\":\"S C\"}`,
    ),
    scheme: fc.constantFrom('Basic', 'Bearer', 'Token', 'SSWS'),
    credential,
  })
  .map(({ form, scheme: s, credential: c }): Planted => ({ text: form.replace('S', s).replace('C', c), secret: c }));

const jwt = fc
  .tuple(chars(base64url, 10, 60), chars(base64url, 10, 300), chars(base64url, 20, 90))
  .map(([h, p, s]): Planted => {
    const t = `eyJ${h}.eyJ${p}.${s}`;
    return { text: t, secret: t };
  });

/** Prefix, body alphabet and least body length of each token shape (independent of the module's table). */
const tokenShapes: readonly (readonly [string, string, number])[] = [
  ['xoxb-', `${alnum}-`, 20],
  ['xoxp-', `${alnum}-`, 20],
  ['xoxa-', `${alnum}-`, 20],
  ['xoxr-', `${alnum}-`, 20],
  ['xoxs-', `${alnum}-`, 20],
  ['xoxe-', `${alnum}-`, 20],
  ['xapp-', `${alnum}-`, 20],
  ['ghp_', alnum, 36],
  ['gho_', alnum, 36],
  ['ghu_', alnum, 36],
  ['ghs_', alnum, 36],
  ['ghr_', alnum, 36],
  ['github_pat_', `${alnum}_`, 82],
  ['glpat-', base64url, 20],
  ['gldt-', base64url, 20],
  ['glrt-', base64url, 20],
  ['sk_live_', alnum, 24],
  ['rk_live_', alnum, 24],
  ['sk_test_', alnum, 24],
  ['whsec_', alnum, 32],
  ['sq0csp-', base64url, 43],
  ['npm_', alnum, 36],
  ['pypi-AgEIcHlwaS5vcmc', base64url, 50],
  ['dckr_pat_', base64url, 27],
  ['hvs.', base64url, 90],
  ['AIza', base64url, 35],
  ['AKIA', `${upper}${digits}`, 16],
  ['ASIA', `${upper}${digits}`, 16],
  ['sk-proj-', base64url, 40],
  ['sk-ant-api03-', base64url, 90],
  ['glsa_', `${alnum}_`, 41],
  ['hf_', alnum, 34],
  ['dop_v1_', '0123456789abcdef', 64],
  ['AGE-SECRET-KEY-1', `${upper}${digits}`, 58],
  ['LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo', `${alnum}+/`, 60],
];
const token = fc
  .constantFrom(...tokenShapes)
  .chain(([prefix, body, min]) =>
    chars(body, min, min + 20).map((b): Planted => ({ text: `${prefix}${b}`, secret: `${prefix}${b}` })),
  );

const pemBody = fc.array(chars(`${alnum}+/`, 64, 64), { minLength: 1, maxLength: 4 });
const pemKind = fc.constantFrom(
  'RSA PRIVATE KEY',
  'PRIVATE KEY',
  'EC PRIVATE KEY',
  'OPENSSH PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'PGP PRIVATE KEY BLOCK',
);
const pem = fc
  .record({ kind: pemKind, body: pemBody, escaped: fc.boolean() })
  .map(({ kind, body, escaped }): Planted => {
    const newline = escaped ? '\\n' : '\n';
    return {
      text: [`-----BEGIN ${kind}-----`, ...body, `-----END ${kind}-----`].join(newline),
      secret: body.join(newline),
    };
  });

const secretKeys = [
  'password',
  'PASSWORD',
  'passwd',
  'pwd',
  'db_pass',
  'secret',
  'token',
  'api_key',
  'apiKey',
  'x-api-key',
  'access_key',
  'private_key',
  'client_secret',
  'credentials',
  'session_id',
  'auth_token',
  'DB_PASSWORD',
  'MYSQL_ROOT_PASSWORD',
  'github.token',
  'aws_secret_access_key',
  'aws_session_token',
  'AccountKey',
  'SharedAccessKey',
  'private_key_id',
  'clientSecret',
  'refreshToken',
];
/** Values never hold what ends a value (space, quote, backslash, , ; &) and never start with `-` (a flag) or `[`. */
const value = fc.tuple(chars(alnum, 1, 1), chars(`${alnum}!$%*+/=@#^._~-`, 11, 40)).map(([a, b]) => a + b);
const keyForms = [
  'K=V',
  'K: V',
  '"K": "V"',
  '"K":"V"',
  "'K': 'V'",
  String.raw`{\"K\":\"V\"}`,
  '?K=V&x=1',
  '--K=V',
  '--K V',
  'K := "V"',
  'K = V',
];
const keyValue = fc
  .record({ key: fc.constantFrom(...secretKeys), form: fc.constantFrom(...keyForms), value })
  .map(({ key, form, value: v }): Planted => ({ text: form.replace('K', key).replace('V', v), secret: v }));

const webhook = fc
  .tuple(chars(`${upper}${digits}`, 8, 11), chars(`${upper}${digits}`, 8, 11), chars(alnum, 24, 24))
  .map(([t, b, s]): Planted => ({ text: `https://hooks.slack.com/services/T${t}/B${b}/${s}`, secret: s }));
const sas = chars(`${alnum}%`, 20, 60).map((sig): Planted => ({
  text: `https://acme.blob.core.windows.net/c/b?sv=2022-11-02&sig=${sig}`,
  secret: sig,
}));

const planted = fc.oneof(urlCredentials, authorization, jwt, token, pem, keyValue, webhook, sas);
const separator = fc.constantFrom(' ', '\t', ' | ');

describe('a planted secret never survives', () => {
  it('in random text around it, through every entry point', () => {
    fc.assert(
      fc.property(noise, separator, planted, separator, noise, (before, sep1, p, sep2, after) => {
        const t = `${before}${sep1}${p.text}${sep2}${after}`;
        expect(redactSecrets(t)).not.toContain(p.secret);
        expect(redactLogText(t)).not.toContain(p.secret);
        expect(redactLines(t.split('\n')).join('\n')).not.toContain(p.secret);
      }),
      { numRuns: 5000 },
    );
  });

  it('in a JSON log line, which stays JSON', () => {
    const field = fc.oneof(
      planted.map((p) => ({ value: p.text, secret: p.secret })),
      fc.string().map((s) => ({ value: s, secret: undefined })),
    );
    const key = fc.constantFrom(
      'message',
      'error',
      'password',
      'pwd',
      'token',
      'sessionId',
      'user',
      'authorization',
      'detail',
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, field, fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.jsonValue(),
        (fields, extra) => {
          const inner = Object.fromEntries(fields.map(([k, f]) => [k, f.value]));
          const object = { level: 'info', extra, ...inner, nested: JSON.stringify(inner) };
          const out = redactLogText(`${JSON.stringify(object)}\n`);
          expect(() => JSON.parse(out) as unknown).not.toThrow();
          for (const [, f] of fields)
            if (f.secret !== undefined) expect(out).not.toContain(JSON.stringify(f.secret).slice(1, -1));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('adversarial 64 KiB lines', () => {
  const line = (unit: string): string =>
    unit.repeat(Math.ceil(maxLogLineChars / unit.length)).slice(0, maxLogLineChars);
  // Each is the worst case of a pattern: a run it scans and then fails on, or a literal it starts on everywhere.
  it.each([
    ['a-', line('a-'), line('a-')],
    ['eyJ', line('eyJ'), line('eyJ')],
    ['eyJ.', line('eyJ.'), line('eyJ.')],
    ['eyJ + long segment', line(`eyJ${'a'.repeat(9000)}.a.`), line(`eyJ${'a'.repeat(9000)}.a.`)],
    [':', line(':'), line(':')],
    ['//', line('//'), line('//')],
    ['://', line('://'), line('://')],
    ['a://a:', line('a://a:'), line('a://a:')],
    ['@', line('@'), line('@')],
    ['=', line('='), line('=')],
    ['spaces', line(' '), line(' ')],
    ['"', line('"'), line('"')],
    ['\\"', line('\\"'), line('\\"')],
    ['-----BEGIN ', line('-----BEGIN '), line('-----BEGIN ')],
    ['password', line('password'), line('password')],
    ['password:', line('password:'), 'password:[redacted]'],
    ['AKIA', line('AKIA'), '[redacted]'],
    ['xoxb-', line('xoxb-'), '[redacted]'],
    ['-----BEGIN PRIVATE KEY-----', line('-----BEGIN PRIVATE KEY-----'), '[redacted private key]'],
  ])('%s', (_what, input, expected) => {
    expect(redactLogText(input)).toBe(expected);
    const shown = redactSecrets(input);
    expect(shown.length).toBeLessThanOrEqual(maxLineChars);
    expect(redactSecrets(shown)).toBe(shown);
  });

  it.each([
    ['mixed', 'a-eyJ:@//= "AKIA-----BEGIN \\"'],
    ['a URL prefix without @', 'postgres://a:'],
    ['flags without values', '--password '],
  ])('%s comes out unchanged', (_what, unit) => {
    expect(redactLogText(line(unit))).toBe(line(unit));
    expect(redactSecrets(line(unit))).toBe(`${line(unit).slice(0, maxLineChars - 1)}…`);
  });

  // Every unit after the first is the value of the one before it: all are redacted, and the output stays bounded and
  // stable.
  it.each([
    ['Authorization: ', 'Authorization:'],
    ['token="', 'token'],
    ['password:"', 'password'],
    ['token: ', 'token'],
  ])('%s', (unit, key) => {
    for (const out of [redactLogText(line(unit)), redactSecrets(line(unit))]) {
      expect(out.startsWith(`${unit}[redacted]`)).toBe(true);
      expect(out.indexOf(key, 1)).toBe(-1);
      expect(redactLogText(out)).toBe(out);
    }
    expect(redactLogText(line(unit)).length).toBeLessThanOrEqual(maxLogLineChars);
    expect(redactSecrets(line(unit)).length).toBeLessThanOrEqual(maxLineChars);
  });
});
