// One row per shape the redaction knows, each a realistic line with its exact
// output; then lines that must come out unchanged, key blocks, and the caps.
import { describe, expect, it } from '@jest/globals';
import {
  maxLineChars,
  maxLogLineChars,
  redactLines,
  redactLogText,
  redactSecrets,
} from '../../../src/text/redact-secrets.ts';

const jwt =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const a36 = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

describe('redactSecrets: what it catches', () => {
  it.each([
    // Rows kept from the first version of this module.
    ['env password', 'DB_PASSWORD=hunter2 connecting', 'DB_PASSWORD=[redacted] connecting'],
    ['JSON apiKey', '{"apiKey": "abc123", "user": "bob"}', '{"apiKey": "[redacted]", "user": "bob"}'],
    ['token: JWT', 'token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc', 'token: [redacted]'],
    [
      'postgres URL',
      'dial postgres://app:s3cr3t@db:5432/app failed',
      'dial postgres://app:[redacted]@db:5432/app failed',
    ],
    ['AWS key id', 'using key AKIAABCDEFGHIJKLMNOP', 'using key [redacted]'],
    // Was `Authorization: [redacted] [redacted]`: the scheme is not a secret and says what kind of credential leaked.
    ['Authorization Bearer', 'Authorization: Bearer abc.def', 'Authorization: Bearer [redacted]'],
    ['Slack bot token', 'slack xoxb-123-456-abc', 'slack [redacted]'],

    // URL credentials: scheme, user and host stay.
    [
      'URL with user',
      'connecting to postgres://app:s3cr3t@db:5432/x',
      'connecting to postgres://app:[redacted]@db:5432/x',
    ],
    ['URL without user', 'REDIS_URL=redis://:pw@redis:6379/0', 'REDIS_URL=redis://:[redacted]@redis:6379/0'],
    ['AMQP URL', 'amqp connect amqp://guest:guest@mq', 'amqp connect amqp://guest:[redacted]@mq'],
    [
      'mongodb+srv URL',
      'MongoServerError at mongodb+srv://u:p@cluster0.x.net/db?retryWrites=true',
      'MongoServerError at mongodb+srv://u:[redacted]@cluster0.x.net/db?retryWrites=true',
    ],
    [
      'URL in JSON',
      '{"dsn":"mysql://root:Pa55w0rd@mysql:3306/app"}',
      '{"dsn":"mysql://root:[redacted]@mysql:3306/app"}',
    ],

    // Authorization headers.
    ['Basic header', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [redacted]'],
    [
      'Token header',
      'Authorization: token ghp_16C7e42F292c6912E7710c838347Ae178B4a',
      'Authorization: token [redacted]',
    ],
    ['Bearer in JSON', '{"authorization":"Bearer abc123def456"}', '{"authorization":"Bearer [redacted]"}'],
    [
      'Bearer in escaped JSON',
      '{"msg":"headers {\\"Authorization\\":\\"Bearer abc123def456\\"}"}',
      '{"msg":"headers {\\"Authorization\\":\\"Bearer [redacted]\\"}"}',
    ],
    [
      'curl -H',
      "curl -sf -H 'Authorization: Basic dXNlcjpwYXNz' https://registry/v2/",
      "curl -sf -H 'Authorization: Basic [redacted]' https://registry/v2/",
    ],
    ['Proxy-Authorization', 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic [redacted]'],
    ['scheme-less header', 'Authorization: 0123456789abcdef', 'Authorization: [redacted]'],
    ['other scheme', 'Authorization: SSWS 00QCjAl4MlV-WPXM', 'Authorization: SSWS [redacted]'],
    // Was `"Authorization":Basic "[redacted]"`, which a second pass read as a value with no scheme.
    ['scheme after a quoted key', '"Authorization":Basic dXNlcjpwYXNz', '"Authorization":Basic [redacted]'],
    [
      'Go header map',
      'req headers map[Authorization:[Bearer abc123def456] Accept:[*/*]]',
      'req headers map[Authorization:[Bearer [redacted]] Accept:[*/*]]',
    ],
    ['bare Bearer token', 'retrying with Bearer 3f9a8b7c6d5e4f3a2b1c0d9e', 'retrying with Bearer [redacted]'],
    ['short bare Bearer token with dots', 'failed: Bearer abc.def.ghi', 'failed: Bearer [redacted]'],

    // JWTs anywhere.
    ['JWT', `verify ${jwt} failed`, 'verify [redacted] failed'],
    ['JWT in a query', `GET /callback?id_token=${jwt}&state=xyz`, 'GET /callback?id_token=[redacted]&state=xyz'],

    // AWS.
    ['AWS temporary key id', 'AccessKeyId: ASIAY34FZKBOKMUTVV7A', 'AccessKeyId: [redacted]'],
    [
      'aws credentials file',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws_secret_access_key = [redacted]',
    ],
    ['AWS env', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[redacted]'],
    ['AWS session token', 'aws_session_token=FwoGZXIvYXdzEJr//////////wEaDOxEXAMPLE', 'aws_session_token=[redacted]'],

    // GCP.
    [
      'GCP private_key_id',
      '  "private_key_id": "d41d8cd98f00b204e9800998ecf8427e",',
      '  "private_key_id": "[redacted]",',
    ],
    ['GCP client_secret', '  "client_secret": "GOCSPX-1a2b3c4d5e6f7g8h9i0j",', '  "client_secret": "[redacted]",'],
    ['Google API key', 'maps key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY loaded', 'maps key=[redacted] loaded'],
    ['Google API key alone', 'using AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY', 'using [redacted]'],

    // Azure.
    [
      'storage connection string',
      'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net',
      'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[redacted];EndpointSuffix=core.windows.net',
    ],
    [
      'Service Bus key',
      'Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=abc+def/ghi=',
      'Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[redacted]',
    ],
    [
      'SAS URL',
      'GET https://acme.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2025-01-01&sp=r&sig=abc%2Bdef%3D 403',
      'GET https://acme.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2025-01-01&sp=r&sig=[redacted] 403',
    ],
    [
      'ADO.NET',
      'Server=tcp:db,1433;Database=app;User ID=sa;Password=Sup3r$ecret;Encrypt=true',
      'Server=tcp:db,1433;Database=app;User ID=sa;Password=[redacted];Encrypt=true',
    ],
    [
      'S3 presigned URL',
      'https://b.s3.amazonaws.com/k?X-Amz-Date=20250101T000000Z&X-Amz-Signature=0a1b2c3d4e5f',
      'https://b.s3.amazonaws.com/k?X-Amz-Date=20250101T000000Z&X-Amz-Signature=[redacted]',
    ],

    // VCS and chat tokens.
    ['GitHub ghp_', 'GITHUB_TOKEN is ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'GITHUB_TOKEN is [redacted]'],
    ['GitHub gho_', `oauth gho_${a36}`, 'oauth [redacted]'],
    ['GitHub ghu_', `ghu_${a36} expired`, '[redacted] expired'],
    [
      'GitHub ghs_',
      `git clone https://x-access-token:ghs_${a36}@github.com/acme/app`,
      'git clone https://x-access-token:[redacted]@github.com/acme/app',
    ],
    ['GitHub ghr_', `refresh=ghr_${a36}`, 'refresh=[redacted]'],
    [
      'GitHub fine-grained',
      'pat github_pat_11ABCDEFG0123456789abc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU',
      'pat [redacted]',
    ],
    ['GitLab glpat-', 'PRIVATE-TOKEN glpat-9sKzP2vR7mQx4LtY8bNw rejected', 'PRIVATE-TOKEN [redacted] rejected'],
    ['GitLab gldt-', 'deploy token gldt-9sKzP2vR7mQx4LtY8bNw', 'deploy token [redacted]'],
    ['GitLab glrt-', 'runner registered with glrt-9sKzP2vR7mQx4LtY8bNw', 'runner registered with [redacted]'],
    ['Slack xoxp-', 'user token xoxp-2712345678-2712345678901-2712345678902-0a1b2c3d4e5f', 'user token [redacted]'],
    ['Slack xoxa-', 'xoxa-2-1234567890-abcdef', '[redacted]'],
    ['Slack xoxr-', 'refresh xoxr-1234567890-abcdef', 'refresh [redacted]'],
    ['Slack xoxs-', '(xoxs-1234567890-abcdef)', '([redacted])'],
    ['Slack xoxe-', 'rotating xoxe-1-My0xLTEyMzQ1Njc4OTA', 'rotating [redacted]'],
    ['Slack xoxe.xoxp-', 'xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTA', 'xoxe.[redacted]'],
    ['Slack xapp-', 'SLACK_APP_TOKEN=xapp-1-A0123456789-1234567890123-abcdef0123', 'SLACK_APP_TOKEN=[redacted]'],
    [
      'Slack webhook',
      'posting to https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx ok',
      'posting to https://hooks.slack.com/services/T0123ABCD/B0456EFGH/[redacted] ok',
    ],
    [
      'Discord webhook',
      'https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKl_MnOp',
      'https://discord.com/api/webhooks/123456789012345678/[redacted]',
    ],

    // Payment.
    ['Stripe sk_live_', 'stripe: sk_live_51H8abcDEFghiJKLmnoPQRstu invalid', 'stripe: [redacted] invalid'],
    ['Stripe rk_live_', 'rk_live_51H8abcDEFghiJKLmnoPQRstu', '[redacted]'],
    ['Stripe sk_test_', 'STRIPE_KEY: "sk_test_4eC39HqLyjWDarjtT1zdp7dc"', 'STRIPE_KEY: "[redacted]"'],
    ['Stripe webhook secret', 'signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'signing with [redacted]'],
    ['Square', 'square sq0csp-0123456789abcdefGHIJKLmnopqrstuvwxyzABCDEFG', 'square [redacted]'],

    // Registries and other prefixed tokens.
    [
      'npm',
      '//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      '//registry.npmjs.org/:_authToken=[redacted]',
    ],
    [
      'PyPI',
      'TWINE_PASSWORD set to pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlsz',
      'TWINE_PASSWORD set to [redacted]',
    ],
    ['Docker Hub', 'docker login -u acme -p dckr_pat_AbCdEfGhIjKlMnOpQrSt', 'docker login -u acme -p [redacted]'],
    ['Vault', 'X-Vault-Token hvs.CAESIJlU8yDQgSlTZCWTlZGdKJQnGw0aGh4KHGh2cy5', 'X-Vault-Token [redacted]'],
    ['OpenAI', 'OPENAI key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz', 'OPENAI key [redacted]'],
    ['Anthropic', 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz-0123 in use', '[redacted] in use'],
    ['Grafana', 'grafana glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_0a1b2c3d', 'grafana [redacted]'],
    ['Hugging Face', 'HF hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567', 'HF [redacted]'],
    ['DigitalOcean', `doctl auth dop_v1_${'0a1b2c3d'.repeat(8)}`, 'doctl auth [redacted]'],
    ['age', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ', '[redacted]'],
    [
      'base64 PEM',
      'client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB',
      'client-key-data: [redacted]',
    ],

    // Generic keys: env, JSON, escaped JSON, YAML, query strings, flags.
    ['MYSQL_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD=r00t!pw', 'MYSQL_ROOT_PASSWORD=[redacted]'],
    ['pwd=', 'login user=bob pwd=hunter2 ok', 'login user=bob pwd=[redacted] ok'],
    ['passwd', 'passwd: hunter2', 'passwd: [redacted]'],
    ['pass', 'db_pass=hunter2', 'db_pass=[redacted]'],
    ['secret', 'secret=s3cr3t', 'secret=[redacted]'],
    ['dotted token', 'github.token=abc123', 'github.token=[redacted]'],
    [
      'camelCase',
      '{"clientSecret":"abc","refreshToken":"def"}',
      '{"clientSecret":"[redacted]","refreshToken":"[redacted]"}',
    ],
    [
      'api_key, api-key, apikey',
      'api_key=a1 x-api-key: a2 apikey=a3',
      'api_key=[redacted] x-api-key: [redacted] apikey=[redacted]',
    ],
    ['access key', 'minio accessKey: AKXYZ secret_key: abc', 'minio accessKey: [redacted] secret_key: [redacted]'],
    ['private key field', 'private_key=abc', 'private_key=[redacted]'],
    ['credentials', 'credentials: abc123', 'credentials: [redacted]'],
    ['session id', 'sessionId=0a1b2c3d4e', 'sessionId=[redacted]'],
    ['auth token', 'X-Auth-Token: abc123', 'X-Auth-Token: [redacted]'],
    ['auth token with scheme', 'auth_token: Bearer abc123', 'auth_token: Bearer [redacted]'],
    ['single quotes', "{'password': 'hunter2', 'user': 'bob'}", "{'password': '[redacted]', 'user': 'bob'}"],
    ['quoted value with spaces', 'password: "correct horse battery staple"', 'password: "[redacted]"'],
    ['escaped quote inside', String.raw`{"password":"a\"b c"}`, '{"password":"[redacted]"}'],
    [
      'escaped JSON',
      String.raw`{\"password\":\"x\",\"user\":\"bob\"}`,
      String.raw`{\"password\":\"[redacted]\",\"user\":\"bob\"}`,
    ],
    ['JSON number', '{"pwd":123,"a":1}', '{"pwd":"[redacted]","a":1}'],
    ['YAML', '  password: hunter2', '  password: [redacted]'],
    ['query string', 'GET /api?token=abc&x=1', 'GET /api?token=[redacted]&x=1'],
    ['flag with =', 'app --password=x --user=bob', 'app --password=[redacted] --user=bob'],
    ['flag with space', 'app --db-password hunter2 --user bob', 'app --db-password [redacted] --user bob'],
    [
      'kubeadm token flag',
      'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef',
      'kubeadm join 10.0.0.1:6443 --token [redacted]',
    ],
    ['Go :=', 'password := "hunter2"', 'password := "[redacted]"'],
    ['Ruby =>', ':password => "hunter2"', ':password => "[redacted]"'],
  ])('%s', (_shape, line, expected) => {
    expect(redactSecrets(line)).toBe(expected);
  });
});

describe('redactSecrets: what it leaves alone', () => {
  it.each([
    ['image names', 'pulling ghcr.io/acme/web:1.4.2 and docker.io/library/redis:7.2-alpine'],
    ['host:port', 'dial tcp 10.96.0.10:53: i/o timeout; redis:6379 refused'],
    ['URL without credentials', 'GET https://api.example.com:8443/v1/pods?limit=500&continue=abc 200'],
    ['Slack mentions', 'approved by <@U0ALICE> in <#C0OPS|ops>'],
    ['ISO times', '2025-01-01T10:00:00.123Z level=info'],
    ['Kubernetes events', 'Back-off restarting failed container web in pod web-6d4cf56db6-x2x9z'],
    ['event with Secret', 'MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found'],
    ['the word password', 'password reset requested for user bob'],
    ['the word token', 'token expired, please log in again'],
    ['secret-ish words in longer keys', 'passwordless=true tokens=12 secretName: db-creds token_ttl=3600'],
    ['pass inside a word', 'bypass=true compass: north'],
    ['UUIDs', 'request 123e4567-e89b-12d3-a456-426614174000 done'],
    ['git SHAs', 'deployed 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['key=value pairs', 'user=bob namespace=prod replicas=3 ready=true'],
    ['docker --password-stdin', 'echo $PW | docker login --password-stdin ghcr.io'],
    ['words after Bearer', 'must use bearer authentication'],
    ['a test runner', 'task_test_runner passed'],
    ['a certificate line', '-----BEGIN CERTIFICATE-----'],
    ['Go panic', 'panic: runtime error: index out of range [3] with length 3'],
  ])('%s', (_what, line) => {
    expect(redactSecrets(line)).toBe(line);
  });
});

// Found by the property tests: a value that runs over the next key must not hide that key's value.
describe('redactSecrets: values that meet', () => {
  it.each([
    ['an unbalanced quote before a key', 'token: "abc password: "hunter2"', 'token: "[redacted]"[redacted]"'],
    [
      'a quote inside an escaped JSON value',
      String.raw`{"msg":"cfg {\"password\":\"p\\\"ss\",\"user\":\"bob\"}"}`,
      String.raw`{"msg":"cfg {\"password\":\"[redacted]\",\"user\":\"bob\"}"}`,
    ],
    ['a key after Bearer', 'Bearer Proxy-Authorization: Basic dXNlcjpwYXNz', 'Bearer [redacted]: Basic [redacted]'],
    [
      'a key where a scheme goes',
      'Authorization: password := "hunter2"',
      'Authorization: password [redacted] "[redacted]"',
    ],
  ])('%s', (_what, line, expected) => {
    expect(redactSecrets(line)).toBe(expected);
  });
});

describe('redactSecrets: private keys', () => {
  it('replaces a block that spans lines by one marker', () => {
    const text = [
      'loading key',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAx4',
      'q2Vb9c+aF==',
      '-----END RSA PRIVATE KEY-----',
      'listening on :8080',
    ].join('\n');
    expect(redactSecrets(text)).toBe('loading key\n[redacted private key]\nlistening on :8080');
  });

  it.each([
    ['OPENSSH PRIVATE KEY'],
    ['PGP PRIVATE KEY BLOCK'],
    ['ENCRYPTED PRIVATE KEY'],
    ['EC PRIVATE KEY'],
    ['PRIVATE KEY'],
  ])('knows %s', (kind) => {
    expect(redactSecrets(`key:\n-----BEGIN ${kind}-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END ${kind}-----`)).toBe(
      'key:\n[redacted private key]',
    );
  });

  it('redacts to the end of the text when the END is missing', () => {
    expect(redactSecrets('a\nkey=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nMIIEvQIBADANBg')).toBe(
      'a\nkey=[redacted private key]',
    );
  });

  it('redacts a key inside one line with \\n escapes (a GCP service-account JSON)', () => {
    const line = String.raw`  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",`;
    expect(redactSecrets(line)).toBe(String.raw`  "private_key": "[redacted private key]\n",`);
  });

  it('keeps what follows the END on its line', () => {
    expect(redactSecrets('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY----- loaded')).toBe(
      '[redacted private key]\n loaded',
    );
  });

  it('finds a BEGIN beyond the cap, so the lines after it stay hidden', () => {
    const text = `${'x'.repeat(maxLineChars + 10)} -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\nnext`;
    const out = redactSecrets(text).split('\n');
    expect(out).toHaveLength(2);
    expect(out[0]).toHaveLength(maxLineChars);
    expect(out[1]).toBe('next');
  });
});

describe('redactSecrets: the cap', () => {
  it('cuts a long line to maxLineChars, ending with …', () => {
    const out = redactSecrets('y'.repeat(5000));
    expect(out).toHaveLength(maxLineChars);
    expect(out.endsWith('…')).toBe(true);
  });

  it('keeps a redacted line within the cap, never cutting a marker in half', () => {
    const out = redactSecrets(`${'x'.repeat(maxLineChars - 10)} pwd=a pwd=b`);
    expect(out.length).toBeLessThanOrEqual(maxLineChars);
    expect(out).toMatch(/pwd=(?:\[redacted\] )?…$/);
  });

  it('keeps a trailing newline', () => {
    expect(redactSecrets('token=abc\n')).toBe('token=[redacted]\n');
  });
});

describe('redactLines', () => {
  it('carries a key block across the lines of a log tail', () => {
    expect(
      redactLines([
        'start',
        '-----BEGIN OPENSSH PRIVATE KEY-----',
        'b3BlbnNzaC1rZXktdjEAAAAABG5vbmU',
        '-----END OPENSSH PRIVATE KEY-----',
        'password=x',
      ]),
    ).toEqual(['start', '[redacted private key]', 'password=[redacted]']);
  });

  it('leaves its own output as it is (a counterexample fast-check found)', () => {
    const once = redactLines(['Authorization\\"=ABasic A']);
    expect(once).toEqual(['Authorization\\"=ABasic [redacted]']);
    expect(redactLines(once)).toEqual(once);
  });

  it('redacts every line on its own otherwise', () => {
    expect(redactLines(['a token=1', 'b', 'c xoxb-123-456-abc'])).toEqual(['a token=[redacted]', 'b', 'c [redacted]']);
  });
});

describe('redactLogText', () => {
  it('keeps a long JSON line whole and valid', () => {
    const stack = Array.from({ length: 400 }, (_, i) => `    at frame${i} (file:///app/src/module-${i}.js:10:5)`).join(
      '\n',
    );
    const line = `${JSON.stringify({ level: 'error', message: 'boom password=hunter2', stack })}\n`;
    expect(line.length).toBeGreaterThan(maxLineChars);
    const out = redactLogText(line);
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toMatchObject({ message: 'boom password=[redacted]', stack });
  });

  it('cuts a line only beyond maxLogLineChars', () => {
    expect(redactLogText('z'.repeat(maxLogLineChars))).toHaveLength(maxLogLineChars);
    expect(redactLogText(`${'z'.repeat(maxLogLineChars + 1)}\n`)).toBe(`${'z'.repeat(maxLogLineChars - 1)}…\n`);
  });

  it('quotes a redacted scalar so that JSON stays JSON', () => {
    expect(JSON.parse(redactLogText('{"sessionId":12345,"pwd":null,"user":"bob"}'))).toEqual({
      sessionId: '[redacted]',
      pwd: '[redacted]',
      user: 'bob',
    });
    expect(JSON.parse(redactLogText(JSON.stringify({ message: JSON.stringify({ pwd: 1 }) })))).toEqual({
      message: '{"pwd":"[redacted]"}',
    });
  });
});
