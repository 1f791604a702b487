import { describe, expect, it } from '@jest/globals';
import { redactSecrets } from '../../../src/text/redact-secrets.ts';

describe('redactSecrets', () => {
  it.each([
    ['DB_PASSWORD=hunter2 connecting', 'DB_PASSWORD=[redacted] connecting'],
    ['{"apiKey": "abc123", "user": "bob"}', '{"apiKey": "[redacted]", "user": "bob"}'],
    ['token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc', 'token: [redacted]'],
    ['dial postgres://app:s3cr3t@db:5432/app failed', 'dial postgres://app:[redacted]@db:5432/app failed'],
    ['using key AKIAABCDEFGHIJKLMNOP', 'using key [redacted]'],
    ['Authorization: Bearer abc.def', 'Authorization: [redacted] [redacted]'],
    ['slack xoxb-123-456-abc', 'slack [redacted]'],
  ])('redacts %j', (line, expected) => {
    expect(redactSecrets(line)).toBe(expected);
  });

  it('leaves ordinary lines alone', () => {
    const line = 'panic: runtime error: index out of range [3] with length 3';
    expect(redactSecrets(line)).toBe(line);
  });
});
