// The Slack app manifest asks for exactly the bot scopes the code needs: every
// Web API method src/ calls maps to its scopes, and no scope is left unused. The
// console's in-process Slack serves those methods, and only those.
import { describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chatMethods } from '../../../src/console/in-process-slack/chat-methods.ts';
import { directoryMethods } from '../../../src/console/in-process-slack/directory-methods.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** Slack's scopes per Web API method (api.slack.com/methods), for the methods Coxswain may call. */
const scopesOf: Readonly<Record<string, readonly string[]>> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'conversations.info': ['channels:read', 'groups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'auth.test': [],
};

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !join(e.parentPath, e.name).includes('in-process-slack'))
    .map((e) => join(e.parentPath, e.name));
}

async function calledMethods(): Promise<Set<string>> {
  const methods = new Set<string>();
  for (const file of [...(await sources(join(root, 'src'))), ...(await sources(join(root, 'commands')))]) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(
      /\bclient\.((?:chat|conversations|usergroups|auth|users|reactions|files|views)\.[a-zA-Z.]+)\(/g,
    ))
      methods.add(m[1] ?? '');
  }
  return methods;
}

describe('deploy/slack-app-manifest.yaml', () => {
  it('grants the scopes of every Web API method the code calls, and nothing else but the slash command', async () => {
    const manifest = parse(await readFile(join(root, 'deploy', 'slack-app-manifest.yaml'), 'utf8')) as {
      oauth_config: { scopes: { bot: string[] } };
      features: { slash_commands: { command: string }[] };
      settings: { socket_mode_enabled: boolean; interactivity: { is_enabled: boolean } };
    };
    const called = await calledMethods();
    expect([...called].filter((m) => !(m in scopesOf))).toEqual([]);
    const needed = new Set(['commands', ...[...called].flatMap((m) => scopesOf[m] ?? [])]);
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(needed);
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/k8s']);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it("lists what the console's in-process Slack serves: every method the code calls and Bolt's auth.test, none that only tests call", async () => {
    const served = Object.keys({ ...chatMethods, ...directoryMethods });
    const called = await calledMethods();
    expect([...called, 'auth.test'].filter((m) => !served.includes(m))).toEqual([]);
    expect(served.filter((m) => !(m in scopesOf))).toEqual([]);
  });
});
