// Holds (/k8s lock) taken only as wide as the holder's right, living no longer
// than COXSWAIN_MAX_HOLD however often they are renewed, said in the channel, and
// breakable by a role the policy gives `break` — with the holder told in the
// hold's thread and the break in the audit trail.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('holds');
jest.setTimeout(60_000);
let g: GuardedBot;

beforeAll(async () => {
  g = await startGuardedBot({
    ns,
    env: { COXSWAIN_MAX_HOLD: '2m' },
    policy: `
roles:
  web-locker: [{ verbs: [lock, deploy], namespaces: [${ns.name}], deployments: ["web-*"] }]
  ns-locker:  [{ verbs: [lock, deploy] }]
  oncall:     [{ verbs: [break], namespaces: [${ns.name}] }]
  star:       [{ verbs: ["*"] }]
bindings:
  - { role: web-locker, users: [U0BOB] }
  - { role: ns-locker,  users: [U0ALICE] }
  - { role: oncall,     users: [U0CAROL] }
  - { role: star,       users: [U0DAVE] }
`,
  });
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('web-1', 'ghcr.io/acme/web:1.0'),
  });
});
afterAll(async () => {
  await g?.stop();
});

const holdMessages = (): ReturnType<typeof g.emu.messages> =>
  g.emu.messages('C0OPS').filter((m) => m.text.includes('holds') || m.text.includes('was held'));

describe('holds', () => {
  it('refuses a whole-namespace hold to a right limited to some deployments', async () => {
    expect(await g.say('U0BOB', `lock ns/${ns.name}`)).toContain(`You may not lock every deployment in ${ns.name}`);
    expect(await g.say('U0BOB', `lock web-1 -n ${ns.name} "release 4.2"`)).toContain(
      `Locked: ${ns.name}/web-1 is locked by <@U0BOB>`,
    );
    expect(await g.say('U0BOB', `unlock web-1 -n ${ns.name}`)).toContain('Unlocked');
    expect(await g.say('U0ALICE', `lock ns/${ns.name} --for 30m incident`)).toContain('Locked');
    expect(await g.say('U0ALICE', `unlock ns/${ns.name}`)).toContain('Unlocked');
  });

  it('lists unlock in help to a role that may only break holds', async () => {
    const help = await g.say('U0CAROL', 'help');
    expect(help).toContain('unlock &lt;deployment|ns/namespace&gt;');
    expect(help).not.toContain('lock &lt;deployment|ns/namespace&gt; [-n namespace] [--for');
  });

  it('says a hold in the channel, and never lets it outlive COXSWAIN_MAX_HOLD, renewals included', async () => {
    const taken = Date.now();
    expect(await g.say('U0BOB', `lock web-1 -n ${ns.name} --for 1m "release 4.2"`)).toContain('Locked');
    await waitUntil(async () => holdMessages().some((m) => m.text.includes('🔒')), {
      what: 'the hold said in the channel',
      timeoutMs: 10_000,
    });
    const renewed = await g.say('U0BOB', `lock web-1 -n ${ns.name} --for 1h`);
    expect(renewed).toContain('Renewed');
    expect(renewed).toContain('at most COXSWAIN_MAX_HOLD');
    const last = (await g.audit()).filter((r) => r.kind === 'lock.taken' && r.user === 'U0BOB').at(-1);
    expect(last?.detail).toMatchObject({ renewed: true, capped: true });
    // Asked for an hour; it ends 2 minutes after it was first taken.
    expect(Date.parse(String(last?.detail?.['until']))).toBeLessThanOrEqual(taken + 2 * 60_000 + 5000);
  });

  it("lets only the holder give it up; `break` needs the verb, a reason, and tells the holder in the hold's thread", async () => {
    expect(await g.say('U0ALICE', `deploy web-1 ghcr.io/acme/web:2.0 -n ${ns.name}`)).toContain(
      `${ns.name}/web-1 is locked by <@U0BOB>`,
    );
    expect(await g.say('U0CAROL', `unlock web-1 -n ${ns.name}`)).toContain('You may not lock');
    expect(await g.say('U0DAVE', `unlock web-1 -n ${ns.name} --break "mine now"`)).toContain('You may not break');
    expect(await g.say('U0CAROL', `unlock web-1 -n ${ns.name} --break`)).toContain('Say why');
    const broke = await g.say('U0CAROL', `unlock web-1 -n ${ns.name} --break "incident 1234 is over"`);
    expect(broke).toContain(`Broke the hold: ${ns.name}/web-1 is locked by <@U0BOB>`);
    // The hold's own message is edited to say who broke it, and the holder is told in its thread.
    await waitUntil(async () => holdMessages().some((m) => m.text.includes('broken by <@U0CAROL>')), {
      what: "the hold's message to say it was broken",
      timeoutMs: 10_000,
    });
    const root = holdMessages().find((m) => m.text.includes('broken by <@U0CAROL>'));
    expect(root?.text).toContain('🔓');
    await waitUntil(async () => g.emu.thread('C0OPS', root?.ts ?? '').some((m) => m.text.includes('your hold')), {
      what: 'the holder told in the thread',
      timeoutMs: 10_000,
    });
    const told = g.emu.thread('C0OPS', root?.ts ?? '').find((m) => m.text.includes('your hold'));
    expect(told?.text).toContain('<@U0BOB>, your hold');
    expect(told?.text).toContain('broken by <@U0CAROL>: incident 1234 is over');
    expect(await g.audit()).toContainEqual(
      expect.objectContaining({
        kind: 'lock.broken',
        user: 'U0CAROL',
        verb: 'break',
        reason: 'incident 1234 is over',
        detail: expect.objectContaining({ holder: 'U0BOB', target: `${ns.name}/web-1` }),
      }),
    );
    const since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `deploy web-1 ghcr.io/acme/web:2.0 -n ${ns.name}`)).toBe('');
    expect(callText((await waitForJob(g.emu, 'deploy web-1', { since })).final)).toMatch(/^✅/u);
  });
});
