import { fail, stringParam } from './api-method.ts';
import type { ApiMethod, MethodContext } from './api-method.ts';
import type { ApiResult } from './slack-types.ts';
import type { ChannelState } from './workspace.ts';

function authTest({ state, identity }: MethodContext): ApiResult {
  const { workspace } = state;
  return {
    ok: true,
    url: `https://${workspace.teamDomain}.slack.com/`,
    team: workspace.teamDomain,
    user: workspace.users.get(identity.userId)?.name ?? identity.userId,
    team_id: workspace.teamId,
    user_id: identity.userId,
    bot_id: identity.botId,
    is_enterprise_install: false,
  };
}

function channelObject(channel: ChannelState, context: MethodContext): Record<string, unknown> {
  const im = channel.isIm ? { user: [...channel.members].find((m) => m !== context.identity.userId) } : {};
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.isIm,
    is_group: false,
    is_im: channel.isIm,
    is_mpim: false,
    is_private: channel.isPrivate || channel.isIm,
    is_archived: channel.isArchived,
    is_general: false,
    is_member: channel.members.has(context.identity.userId),
    created: channel.created,
    context_team_id: context.state.workspace.teamId,
    ...im,
  };
}

function conversationsInfo(context: MethodContext): ApiResult {
  const ref = stringParam(context.params, 'channel');
  const channel = ref === undefined ? undefined : context.state.workspace.channels.get(ref);
  if (!channel || (channel.isPrivate && !channel.members.has(context.identity.userId)))
    return fail('channel_not_found');
  return { ok: true, channel: channelObject(channel, context) };
}

function usergroupUsers(context: MethodContext): ApiResult {
  const id = stringParam(context.params, 'usergroup');
  const group = id === undefined ? undefined : context.state.workspace.usergroups.get(id);
  return group ? { ok: true, users: [...group.users] } : fail('no_such_subteam');
}

/** Identity and directory look-ups the bot uses to resolve who is acting and where. */
export const directoryMethods: Readonly<Record<string, ApiMethod>> = {
  'auth.test': authTest,
  'conversations.info': conversationsInfo,
  'usergroups.users.list': usergroupUsers,
};
