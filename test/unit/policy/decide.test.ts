// The permission matrix, unit level: users × groups × channels × verbs ×
// namespaces × deployments against the design's example policy.
import { describe, expect, it } from '@jest/globals';
import { decide, everything, globMatch, type AccessRequest, type Person } from '../../../src/policy/decide.ts';
import { parsePolicy } from '../../../src/policy/load-policy.ts';

const policy = parsePolicy(
  `
roles:
  viewer:   [{ verbs: [get, logs, status, history], namespaces: ["*"] }]
  deployer: [{ verbs: [deploy, scale, restart, undo], namespaces: [staging, prod], deployments: ["*"] }]
  web-team: [{ verbs: [deploy], namespaces: ["team-*"], deployments: ["web-*"] }]
  approver: [{ verbs: [approve], namespaces: [prod] }]
  auditor:  [{ verbs: [audit] }]
bindings:
  - { role: viewer,   users: ["*"] }
  - { role: deployer, users: [U0ALICE], groups: [S0DEVS], channels: [C0DEPLOYS] }
  - { role: web-team, groups: [S0WEB] }
  - { role: approver, users: [U0BOB] }
  - { role: auditor,  channels: [C0AUDIT] }
`,
  'policy.yaml',
);

const who = (userId: string, channelId: string, groups: string[] = []): Person => ({ userId, channelId, groups });
const ask = (verb: AccessRequest['verb'], namespace?: string, deployment?: string): AccessRequest => ({
  verb,
  ...(namespace ? { namespace } : {}),
  ...(deployment ? { deployment } : {}),
});

describe('decide', () => {
  it.each([
    // who                                         what                                  allowed  rule or reason
    [who('U0ALICE', 'C0DEPLOYS'), ask('deploy', 'prod', 'checkout'), true, 'role deployer (bindings[1], rule 1)'],
    [who('U0ALICE', 'C0RANDOM'), ask('deploy', 'prod', 'checkout'), false, 'your roles here (viewer) do not cover it'],
    [who('U0CAROL', 'C0DEPLOYS', ['S0DEVS']), ask('scale', 'staging', 'api'), true, 'role deployer'],
    [who('U0CAROL', 'C0DEPLOYS'), ask('scale', 'staging', 'api'), false, 'You may not scale api in staging'],
    [who('U0ALICE', 'C0DEPLOYS'), ask('deploy', 'kube-system', 'dns'), false, 'do not cover it'],
    [who('U0DAVE', 'C0OPS'), ask('get', 'kube-system'), true, 'role viewer (bindings[0], rule 1)'],
    [who('U0DAVE', 'C0OPS'), ask('logs', 'prod'), true, 'role viewer'],
    [who('U0DAVE', 'C0OPS'), ask('audit'), false, 'do not cover it'],
    [who('U0DAVE', 'C0AUDIT'), ask('audit'), true, 'role auditor (bindings[4], rule 1)'],
    [who('U0EVE', 'C0OPS', ['S0WEB']), ask('deploy', 'team-blue', 'web-ui'), true, 'role web-team'],
    [who('U0EVE', 'C0OPS', ['S0WEB']), ask('deploy', 'team-blue', 'api'), false, 'do not cover it'],
    [who('U0EVE', 'C0OPS', ['S0WEB']), ask('deploy', 'teamblue', 'web-ui'), false, 'do not cover it'],
    [who('U0BOB', 'C0OPS'), ask('approve', 'prod', 'checkout'), true, 'role approver'],
    [who('U0BOB', 'C0OPS'), ask('approve', 'staging', 'checkout'), false, 'do not cover it'],
    [who('U0BOB', 'C0OPS'), ask('none'), true, 'needs no permission'],
  ])('%j %j → %s', (subject, request, allowed, words) => {
    const decision = decide(policy, subject, request);
    expect(decision.allowed).toBe(allowed);
    expect(decision.allowed ? decision.rule : decision.reason).toContain(words);
  });

  it('denies everything but help and whoami when nothing binds the person', () => {
    const empty = parsePolicy(
      'roles: { viewer: [{ verbs: [get] }] }\nbindings: [{ role: viewer, users: [U0ALICE] }]\n',
      'p.yaml',
    );
    expect(decide(empty, who('U0MALLORY', 'C0OPS'), ask('get', 'default'))).toEqual({
      allowed: false,
      reason: 'You may not get in default: no role of the policy applies to you in this channel.',
    });
    expect(decide(empty, who('U0MALLORY', 'C0OPS'), ask('none')).allowed).toBe(true);
  });

  it('passes the Kubernetes identity of the deciding binding on', () => {
    const p = parsePolicy(
      'roles: { ops: [{ verbs: ["*"] }] }\nbindings: [{ role: ops, users: [U0ALICE], kubernetes: { user: alice@acme.com, groups: [devs] } }]\n',
      'p.yaml',
    );
    expect(decide(p, who('U0ALICE', 'C0X'), ask('deploy', 'prod', 'web'))).toMatchObject({
      allowed: true,
      kubernetes: { user: 'alice@acme.com', groups: ['devs'] },
    });
  });
});

describe('globMatch', () => {
  it.each([
    ['*', 'anything', true],
    ['team-*', 'team-a', true],
    ['team-*', 'team', false],
    ['web.v1', 'webxv1', false],
    ['*-prod', 'eu-prod', true],
  ])('%s ~ %s → %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('decide: what no rule can grant, and what must be named', () => {
  const wide = parsePolicy(
    `
roles:
  viewer:   [{ verbs: [get] }]
  star:     [{ verbs: ["*"] }]
  web-lock: [{ verbs: [lock], namespaces: [prod], deployments: ["web-*"] }]
  ns-lock:  [{ verbs: [lock, audit], namespaces: [prod] }]
bindings:
  - { role: viewer,   users: ["*"] }
  - { role: star,     users: [U0ALICE, U0NAMED] }
  - { role: web-lock, users: [U0BOB] }
  - { role: ns-lock,  users: [U0CAROL], teams: [T0PARTNER] }
`,
    'wide.yaml',
  );
  const guards = { protectedNamespaces: ['kube-system', 'coxswain'] };
  const guest = (userId: string, team = 'T0ELSE'): Person => ({
    userId,
    channelId: 'C0OPS',
    groups: [],
    externalTeam: team,
  });

  it.each([
    ['deploy', 'coxswain', 'coxswain', false, 'coxswain is protected'],
    ['scale', 'kube-system', 'coredns', false, 'kube-system is protected'],
    ['get', 'kube-system', undefined, true, 'role viewer'],
    ['deploy', 'prod', 'web', true, 'role star'],
  ] as const)('%s in %s: guards before rules → %s', (verb, namespace, deployment, allowed, words) => {
    const decision = decide(wide, who('U0ALICE', 'C0OPS'), ask(verb, namespace, deployment), guards);
    expect(decision.allowed).toBe(allowed);
    expect(decision.allowed ? decision.rule : decision.reason).toContain(words);
  });

  it('does not count "*" as audit or break', () => {
    expect(decide(wide, who('U0ALICE', 'C0OPS'), ask('audit')).allowed).toBe(false);
    expect(decide(wide, who('U0ALICE', 'C0OPS'), ask('break', 'prod', 'web')).allowed).toBe(false);
    expect(decide(wide, who('U0CAROL', 'C0OPS'), ask('audit', 'prod')).allowed).toBe(true);
  });

  it('grants "every deployment" or "every namespace" only to a rule whose globs cover them all', () => {
    expect(decide(wide, who('U0BOB', 'C0OPS'), ask('lock', 'prod', 'web-1')).allowed).toBe(true);
    expect(decide(wide, who('U0BOB', 'C0OPS'), ask('lock', 'prod', everything))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('lock every deployment in prod'),
    });
    expect(decide(wide, who('U0CAROL', 'C0OPS'), ask('lock', 'prod', everything)).allowed).toBe(true);
    expect(decide(wide, who('U0CAROL', 'C0OPS'), ask('audit', everything)).allowed).toBe(false);
  });

  it('covers a guest only by the bindings that name them or their workspace', () => {
    expect(decide(wide, guest('U0STRANGER'), ask('get', 'prod'))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('You are from another workspace (T0ELSE)'),
    });
    expect(decide(wide, guest('U0CAROL', 'T0PARTNER'), ask('lock', 'prod', 'web')).allowed).toBe(true);
    expect(decide(wide, guest('U0DAVE', 'T0PARTNER'), ask('get', 'prod')).allowed).toBe(false);
    expect(decide(wide, guest('U0NAMED'), ask('deploy', 'prod', 'web')).allowed).toBe(true);
  });
});
