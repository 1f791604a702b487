// The Logs / Restart / Roll back buttons of failed-pod alerts. A click is a
// signed block_actions request from whoever clicked; it becomes the command it
// stands for and goes through the same path as typed text — parsed, checked
// against the policy for that person, held for approval or queued — so a
// button can never do more than its clicker could type.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import type { Log } from '../log/create-logger.ts';
import { alertActions } from '../views/render-alert.ts';
import { renderError } from '../views/render-error.ts';
import { handleCommand, type GatewayDeps, type SlashCommand } from './handle-command.ts';

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(253);
/** What the button's value must be; anything else is refused (values come back from Slack, but are checked like any input). */
const buttonValue = z.strictObject({
  namespace: dnsName,
  workload: z.string().regex(/^(Deployment|ReplicaSet|StatefulSet|DaemonSet|Job|Pod)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(280),
  pod: dnsName.optional(),
  container: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63).optional(),
  previous: z.boolean().optional(),
});
type ButtonValue = z.infer<typeof buttonValue>;

/** The /k8s text a click stands for, or undefined when the button does not apply to this workload. */
export function commandForClick(actionId: string, value: ButtonValue): string | undefined {
  const [kind = '', name = ''] = value.workload.split('/');
  if (actionId === alertActions.logs) {
    if (!value.pod) return undefined;
    return `logs ${value.pod} -n ${value.namespace}${value.container ? ` -c ${value.container}` : ''}${value.previous ? ' --previous' : ''}`;
  }
  if (kind !== 'Deployment') return undefined;
  if (actionId === alertActions.restart) return `rollout restart ${name} -n ${value.namespace}`;
  if (actionId === alertActions.rollback) return `rollout undo ${name} -n ${value.namespace}`;
  return undefined;
}

/** The button value as Coxswain made it, or undefined for anything else. */
export function parseAlertButton(raw: string | undefined): ButtonValue | undefined {
  try {
    const parsed = buttonValue.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function slashCommandOf(body: BlockAction, text: string): SlashCommand {
  return {
    text,
    user_id: body.user.id,
    user_name: body.user.username ?? body.user.name ?? body.user.id,
    team_id: body.team?.id ?? body.user.team_id ?? '',
    channel_id: body.channel?.id ?? '',
    // Slack sends a new trigger_id per click: a redelivered click keeps it and runs once.
    trigger_id: body.trigger_id,
  };
}

/** Routes the alert buttons to handleCommand, answering the clicker privately. */
export function registerAlertActions(app: App, deps: GatewayDeps, log: Log): void {
  for (const actionId of Object.values(alertActions)) {
    app.action<BlockAction<ButtonAction>>({ action_id: actionId }, async ({ ack, body, action, respond }) => {
      await ack();
      const tell = async (message: { text: string; blocks?: unknown[] }): Promise<void> => {
        await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) })
          .catch((error: unknown) => log('warn', 'could not answer a button click', { error: String(error) }));
      };
      const value = parseAlertButton(action.value);
      const text = value ? commandForClick(actionId, value) : undefined;
      if (!text) {
        log('warn', 'refused a malformed alert button', { user: body.user.id, action: actionId });
        await deps.audit.record({ kind: 'request.invalid', user: body.user.id, channel: body.channel?.id ?? '', text: `button ${actionId}`, decision: 'refused', reason: 'malformed alert button payload' });
        await tell(renderError({ message: 'This button is not valid (its payload was not one Coxswain made); nothing was done.' }));
        return;
      }
      const answer = await handleCommand(deps, slashCommandOf(body, text));
      if (answer.ack) await tell(answer.ack);
      await answer.after?.(tell);
    });
  }
}
