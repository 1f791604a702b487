// What each alert button stands for: exactly the command its clicker could type.
import { describe, expect, it } from '@jest/globals';
import { commandForClick, parseAlertButton } from '../../../src/slack/alert-actions.ts';

const value = { namespace: 'prod', workload: 'Deployment/web', pod: 'web-7d4b9c6f5-x2x9q', container: 'web', previous: true };

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
    expect(commandForClick('alert_logs', { namespace: 'prod', workload: 'Pod/debug', pod: 'debug' })).toBe('logs debug -n prod');
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
    ['extra fields', '{"namespace":"prod","workload":"Deployment/web","replicas":100}'],
    ['nothing', undefined],
  ])('refuses %s', (_what, raw) => {
    expect(parseAlertButton(raw)).toBeUndefined();
  });
});
