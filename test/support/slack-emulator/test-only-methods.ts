// Web API methods the bot never calls (test/unit/deploy/slack-app-manifest.test.ts keeps the
// list of those it does), so the console's in-process Slack does not serve them; the
// emulator's own tests and the tests of WebClient's behaviour call them.
import { fail, stringParam } from '../../../src/console/in-process-slack/api-method.ts';
import type { ApiMethod, MethodContext } from '../../../src/console/in-process-slack/api-method.ts';
import { ownMessage } from '../../../src/console/in-process-slack/chat-methods.ts';
import type { ApiResult } from '../../../src/console/in-process-slack/slack-types.ts';

function remove(context: MethodContext): ApiResult {
  const target = ownMessage(context, 'cant_delete_message');
  if ('ok' in target) return target;
  context.state.workspace.delete(target.channel, target.ts);
  return { ok: true, channel: target.channel, ts: target.ts };
}

function conversationsOpen(context: MethodContext): ApiResult {
  const users = (stringParam(context.params, 'users') ?? '').split(',').filter((u) => u !== '');
  const [user] = users;
  if (user === undefined) return fail('users_list_not_supplied');
  if (users.length > 1) return fail('not_supported');
  if (!context.state.workspace.users.has(user)) return fail('user_not_found');
  return { ok: true, channel: { id: context.state.workspace.openDm(user).id } };
}

function usersInfo(context: MethodContext): ApiResult {
  const id = stringParam(context.params, 'user');
  const user = id === undefined ? undefined : context.state.workspace.users.get(id);
  if (!user) return fail('user_not_found');
  const realName = user.realName ?? user.name;
  return {
    ok: true,
    user: {
      id: user.id,
      team_id: user.teamId ?? context.state.workspace.teamId,
      name: user.name,
      deleted: user.deleted ?? false,
      real_name: realName,
      tz: 'UTC',
      tz_offset: 0,
      is_admin: user.isAdmin ?? false,
      is_owner: false,
      is_bot: user.isBot ?? false,
      is_app_user: false,
      profile: {
        real_name: realName,
        display_name: user.name,
        ...(user.email === undefined ? {} : { email: user.email }),
      },
    },
  };
}

/** `chat.delete`, `conversations.open` and `users.info`, served by the tests' emulator only. */
export const testOnlyMethods: Readonly<Record<string, ApiMethod>> = {
  'chat.delete': remove,
  'conversations.open': conversationsOpen,
  'users.info': usersInfo,
};
