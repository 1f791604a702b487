import { describe, expect, it } from '@jest/globals';
import { ConfigError, consoleEnvironment, loadAuditConfig, loadConfig } from '../../../src/config/load-config.ts';

const base = { SLACK_SIGNING_SECRET: 's3cr3t-value', SLACK_BOT_TOKEN: 'xoxb-123-abc' };

describe('loadConfig', () => {
  it('fills defaults and freezes the result', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      redisUrl: 'redis://127.0.0.1:6379',
      cluster: 'default',
      maxReplicas: 100,
      slack: { apiUrl: 'https://slack.com/api/', botToken: 'xoxb-123-abc' },
    });
    expect(config.slack.appToken).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.slack)).toBe(true);
  });

  it('reads every variable of the contract', () => {
    const config = loadConfig({
      ...base,
      SLACK_APP_TOKEN: 'xapp-1-x',
      SLACK_API_URL: 'http://127.0.0.1:9999/api',
      PORT: '0',
      REDIS_URL: 'redis://127.0.0.1:6380',
      KUBECONFIG: '/k/a:/k/b',
      COXSWAIN_POLICY: '/etc/policy.yaml',
      COXSWAIN_CLUSTER: 'prod-eu',
      COXSWAIN_MAX_REPLICAS: '20',
      COXSWAIN_ROLLOUT_TIMEOUT: '5m',
      COXSWAIN_FAILURE_GRACE: '1500ms',
    });
    expect(config).toMatchObject({
      port: 0,
      redisUrl: 'redis://127.0.0.1:6380',
      kubeconfigPath: '/k/a',
      policyPath: '/etc/policy.yaml',
      cluster: 'prod-eu',
      maxReplicas: 20,
      rolloutTimeoutMs: 300_000,
      failureGraceMs: 1500,
      slack: { appToken: 'xapp-1-x', apiUrl: 'http://127.0.0.1:9999/api/' },
    });
  });

  it.each([
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET is missing'],
    [{ SLACK_SIGNING_SECRET: 'x', SLACK_BOT_TOKEN: '' }, 'SLACK_BOT_TOKEN is missing'],
    [{ ...base, SLACK_BOT_TOKEN: 'xoxp-user-token' }, 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)'],
    [{ ...base, PORT: 'eighty' }, 'PORT must be a port number'],
    [{ ...base, REDIS_URL: 'http://x' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    [{ ...base, COXSWAIN_CLUSTER: 'Prod_EU' }, 'COXSWAIN_CLUSTER must be a DNS-1123 label'],
    [
      { ...base, COXSWAIN_ROLLOUT_TIMEOUT: 'ten minutes' },
      'COXSWAIN_ROLLOUT_TIMEOUT must be a duration such as 30s, 10m or 1h',
    ],
    [{ ...base, COXSWAIN_FAILURE_GRACE: '0s' }, 'COXSWAIN_FAILURE_GRACE must be longer than 0'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a value, so a secret in the wrong variable stays out of logs', () => {
    const leaked = 'xoxb-SECRET-TOKEN-VALUE';
    let message = '';
    try {
      loadConfig({ ...base, SLACK_APP_TOKEN: leaked, PORT: leaked });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SLACK_APP_TOKEN');
    expect(message).not.toContain(leaked);
  });

  it('keeps 100000 audit records by default, and takes a bounded whole number', () => {
    expect(loadConfig(base).auditRetention).toBe(100_000);
    expect(loadConfig({ ...base, COXSWAIN_AUDIT_RETENTION: '5000' }).auditRetention).toBe(5000);
    expect(() => loadConfig({ ...base, COXSWAIN_AUDIT_RETENTION: 'forever' })).toThrow(
      'COXSWAIN_AUDIT_RETENTION must be a whole number of records',
    );
    expect(() => loadConfig({ ...base, COXSWAIN_AUDIT_RETENTION: '10' })).toThrow(
      'COXSWAIN_AUDIT_RETENTION must be at least 100 records',
    );
    expect(() => loadConfig({ ...base, COXSWAIN_AUDIT_RETENTION: '99999999' })).toThrow(
      'COXSWAIN_AUDIT_RETENTION must be at most 10000000 records',
    );
  });

  it('holds a running job for 60 s by default, and takes a lease between 5 s and 10 min', () => {
    expect(loadConfig(base).jobLeaseMs).toBe(60_000);
    expect(loadConfig({ ...base, COXSWAIN_JOB_LEASE: '15s' }).jobLeaseMs).toBe(15_000);
    expect(() => loadConfig({ ...base, COXSWAIN_JOB_LEASE: '2s' })).toThrow('COXSWAIN_JOB_LEASE must be at least 5s');
    expect(() => loadConfig({ ...base, COXSWAIN_JOB_LEASE: '1h' })).toThrow('COXSWAIN_JOB_LEASE must be at most 10m');
    expect(() => loadConfig({ ...base, COXSWAIN_JOB_LEASE: 'soon' })).toThrow('COXSWAIN_JOB_LEASE must be a duration');
  });

  it('reads only Redis and the cluster for the audit CLI, without Slack tokens, validated the same way', () => {
    expect(loadAuditConfig({ REDIS_URL: 'redis://127.0.0.1:6390', COXSWAIN_CLUSTER: 'prod-eu' })).toEqual({
      redisUrl: 'redis://127.0.0.1:6390',
      redis: {},
      cluster: 'prod-eu',
      auditRetention: 100_000,
    });
    expect(() => loadAuditConfig({ REDIS_URL: 'http://x' })).toThrow('REDIS_URL must be a redis:// or rediss:// URL');
    expect(() => loadAuditConfig({ COXSWAIN_CLUSTER: 'Prod_EU' })).toThrow('COXSWAIN_CLUSTER must be a DNS-1123 label');
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6390' })).toThrow('SLACK_SIGNING_SECRET is missing');
  });
});

describe('consoleEnvironment', () => {
  it("keeps the bot's settings and drops every Slack variable, so a real token is never used by the console", () => {
    const env = consoleEnvironment({
      SLACK_BOT_TOKEN: 'xoxb-real',
      SLACK_SIGNING_SECRET: 's',
      REDIS_URL: 'redis://127.0.0.1:6379',
      COXSWAIN_POLICY: 'p.yaml',
    });
    expect(env).toEqual({ REDIS_URL: 'redis://127.0.0.1:6379', COXSWAIN_POLICY: 'p.yaml' });
  });
});
