// What each alert button stands for: exactly the command its clicker could type.
import { describe, expect, it } from '@jest/globals';
import { alertClickProblem, commandForClick, parseAlertButton } from '../../../src/slack/alert-actions.ts';
import type { AlertRecord } from '../../../src/alerts/alert-record.ts';

const alert = '0123456789abcdef0123';
const value = {
  alert,
  namespace: 'prod',
  workload: 'Deployment/web',
  pod: 'web-7d4b9c6f5-x2x9q',
  container: 'web',
  previous: true,
};

describe('commandForClick', () => {
  it.each([
    ['alert_logs', 'logs web-7d4b9c6f5-x2x9q -n prod -c web --previous'],
    ['alert_restart', 'rollout restart web -n prod'],
    ['alert_rollback', 'rollout undo web -n prod'],
    ['alert_other', undefined],
  ])('%s → %s', (action, text) => {
    expect(commandForClick(action, value)).toBe(text);
  });

  it('offers no restart or roll back for what is not a Deployment', () => {
    expect(commandForClick('alert_restart', { ...value, workload: 'StatefulSet/db' })).toBeUndefined();
    expect(commandForClick('alert_logs', { alert, namespace: 'prod', workload: 'Pod/debug', pod: 'debug' })).toBe(
      'logs debug -n prod',
    );
  });
});

describe('parseAlertButton', () => {
  it('takes what renderAlert puts in a button', () => {
    expect(parseAlertButton(JSON.stringify(value))).toEqual(value);
  });

  it.each([
    ['not JSON', 'rollout undo web'],
    ['a shell in the name', '{"namespace":"prod","workload":"Deployment/x; rm -rf /"}'],
    ['an unknown kind', '{"namespace":"prod","workload":"Secret/db"}'],
    ['a flag smuggled as a pod', '{"namespace":"prod","workload":"Pod/a","pod":"-n kube-system"}'],
    ['extra fields', `{"alert":"${alert}","namespace":"prod","workload":"Deployment/web","replicas":100}`],
    [
      'no alert id (a button drawn before alerts were bound, or crafted)',
      '{"namespace":"prod","workload":"Deployment/web"}',
    ],
    ['an alert id of another shape', '{"alert":"../../x","namespace":"prod","workload":"Deployment/web"}'],
    ['nothing', undefined],
  ])('refuses %s', (_what, raw) => {
    expect(parseAlertButton(raw)).toBeUndefined();
  });
});

describe('alertClickProblem', () => {
  const record = {
    key: 'prod/Deployment/web/CrashLoopBackOff',
    cluster: 'c',
    channel: 'C0PRODALERTS',
    state: 'firing',
    firstSeen: 1,
    lastSeen: 2,
    occurrences: 3,
    podCount: 1,
    version: 3,
    subject: { namespace: 'prod', workload: { kind: 'Deployment', name: 'web' }, reason: 'CrashLoopBackOff' },
    pods: [{ name: 'web-7d4b9c6f5-x2x9q', failure: { reason: 'CrashLoopBackOff', restarts: 3 } }],
    seen: { 'web-7d4b9c6f5-x2x9q': 3 },
    message: { channel: 'C0PRODALERTS', ts: '1700000000.000100', postedAt: 1 },
    rolloutNotified: { channel: 'C0OPS', ts: '1700000000.000050', userId: 'U0ALICE', description: 'deploy web' },
  } as unknown as AlertRecord;
  const onAlert = { channel: 'C0PRODALERTS', ts: '1700000000.000100' };

  it("lets a click on the alert's own message through, and one on the note in the rollout's thread", () => {
    expect(alertClickProblem(record, value, onAlert)).toBeUndefined();
    expect(
      alertClickProblem(record, value, { channel: 'C0OPS', ts: '1700000000.000200', threadTs: '1700000000.000050' }),
    ).toBeUndefined();
  });

  it.each([
    ['no alert by that id', undefined, value, onAlert, 'names no alert'],
    [
      "another workload than the alert's",
      record,
      { ...value, workload: 'Deployment/payments' },
      onAlert,
      'does not match',
    ],
    ["another namespace than the alert's", record, { ...value, namespace: 'kube-system' }, onAlert, 'does not match'],
    ['a pod the alert never saw', record, { ...value, pod: 'db-0' }, onAlert, 'does not match'],
    ['a recovered alert', { ...record, state: 'recovered' as const }, value, onAlert, 'is over'],
    [
      'another channel',
      record,
      value,
      { channel: 'C0RANDOM', ts: '1700000000.000100' },
      'another channel than the alert (<#C0PRODALERTS>)',
    ],
    [
      'a click before the post is kept',
      { ...record, message: undefined, rolloutNotified: undefined },
      value,
      onAlert,
      'still being posted',
    ],
    [
      'an older message of the same alert',
      record,
      value,
      { channel: 'C0PRODALERTS', ts: '1690000000.000100' },
      'no longer the current one',
    ],
    [
      "another thread in the rollout's channel",
      record,
      value,
      { channel: 'C0OPS', ts: '1700000000.000300', threadTs: '1700000000.000999' },
      'another channel',
    ],
  ])('refuses %s', (_what, r, v, click, words) => {
    expect(alertClickProblem(r, v, click)).toContain(words);
  });
});
