// The log line: JSON, the level filter, and secrets removed by key and by pattern.
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../src/log/create-logger.ts';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): {
  lines: string[];
  log: ReturnType<typeof createLogger>;
} {
  const lines: string[] = [];
  return { lines, log: createLogger({ level, write: (line) => lines.push(line), base: { role: 'worker' } }) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, message, base and fields; drops lower levels', () => {
    const { lines, log } = capture('info');
    log('debug', 'hidden');
    log('info', 'queued', { jobId: 'j1' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', message: 'queued', role: 'worker', jobId: 'j1' });
  });

  it('hides values under secret-looking keys at any depth, whatever they look like', () => {
    const { lines, log } = capture();
    log('warn', 'config', {
      password: 'hunter2',
      nested: { botToken: 'abc', clientSecret: 's', authorization: 'x' },
      user: 'U0ALICE',
    });
    const line = lines[0] ?? '';
    for (const secret of ['hunter2', '"abc"', '"s"', '"x"']) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({
      password: '[redacted]',
      nested: { botToken: '[redacted]' },
      user: 'U0ALICE',
    });
  });

  it('hides secret-looking values under any key or in the message', () => {
    const { lines, log } = capture();
    log('error', 'failed with xoxb-1234-5678-abcdef', {
      error: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
    });
    expect(lines[0]).not.toContain('xoxb-1234');
    expect(lines[0]).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });

  it('redacts with the shared redaction: a long line stays whole and JSON, with no secret left', () => {
    const { lines, log } = capture();
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
    const stack = Array.from({ length: 200 }, (_, i) => `    at frame${i} (file:///app/dist/m${i}.js:1:1)`).join('\n');
    log('error', 'boot failed: DB_PASSWORD=hunter2 postgres://app:s3cr3t@db:5432/app', {
      config: JSON.stringify({ private_key: key }),
      stack,
    });
    const line = lines[0] ?? '';
    expect(line.length).toBeGreaterThan(4096);
    for (const secret of ['hunter2', 's3cr3t', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC']) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({
      message: 'boot failed: DB_PASSWORD=[redacted] postgres://app:[redacted]@db:5432/app',
      stack,
    });
  });
});
