// The Logs / Restart / Roll back buttons of failed-pod alerts. A click is a
// signed block_actions request from whoever clicked; it becomes the command it
// stands for and goes through the same path as typed text — parsed, checked
// against the policy for that person, held for approval or queued — so a
// button can never do more than its clicker could type. Before that, the click
// is checked against the alert it was drawn for: a payload naming no alert, an
// alert in another channel, or one that is over, is refused and recorded.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import type { Log } from '../log/create-logger.ts';
import type { AlertRecord } from '../alerts/alert-record.ts';
import { alertActions } from '../views/render-alert.ts';
import { inlineCode } from '../views/mrkdwn.ts';
import { renderError } from '../views/render-error.ts';
import { clickOrigin } from './approval-actions.ts';
import { handleCommand, type GatewayDeps, type SlashCommand } from './handle-command.ts';

const dnsName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
  .max(253);
/**
 * What the button's value must be; anything else is refused (values come back from Slack, but are checked like any
 * input).
 */
const buttonValue = z.strictObject({
  alert: z.string().regex(/^[0-9a-f]{20}$/),
  namespace: dnsName,
  workload: z
    .string()
    .regex(/^(Deployment|ReplicaSet|StatefulSet|DaemonSet|Job|Pod)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
    .max(280),
  pod: dnsName.optional(),
  container: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .max(63)
    .optional(),
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

/** Where a click came from, as Slack says: the channel, the message and the thread it is in. */
export interface AlertClick {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs?: string;
}

/** The click is on the alert's own message, or on the note in the thread of the rollout that caused it. */
function onItsMessage(record: AlertRecord, click: AlertClick): boolean {
  const own =
    record.message !== undefined && click.channel === record.message.channel && click.ts === record.message.ts;
  const note = record.rolloutNotified;
  return own || (note !== undefined && click.channel === note.channel && click.threadTs === note.ts);
}

/** The button's namespace, workload and pod are the alert's (the pod one it saw fail). */
function matchesAlert(record: AlertRecord, value: ButtonValue): boolean {
  const workload = `${record.subject.workload.kind}/${record.subject.workload.name}`;
  const podKnown = value.pod === undefined || value.pod in record.seen || record.pods.some((p) => p.name === value.pod);
  return record.subject.namespace === value.namespace && workload === value.workload && podKnown;
}

/** Why a click does not belong to this alert, or undefined when it does. Pure, so the rules are tested on their own. */
export function alertClickProblem(
  record: AlertRecord | undefined,
  value: ButtonValue,
  click: AlertClick,
): string | undefined {
  if (!record)
    return 'This button names no alert Coxswain knows (alerts are kept a week; or the button is not one Coxswain made).';
  if (!matchesAlert(record, value)) return 'This button does not match the alert it names.';
  if (record.state === 'recovered') return 'This alert is over: the workload recovered, so its buttons no longer act.';
  if (onItsMessage(record, click)) return undefined;
  // Posted, but its ts not yet kept (a click within milliseconds of the post).
  if (!record.message && click.channel === record.channel)
    return 'This alert is still being posted; click again in a moment.';
  if (record.message && click.channel === record.message.channel)
    return 'This alert message is no longer the current one for this failure (a newer alert replaced it).';
  return `This click came from another channel than the alert${record.message ? ` (<#${record.message.channel}>)` : ''}.`;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function clickOf(body: BlockAction): AlertClick {
  const container = body.container as { message_ts?: unknown; thread_ts?: unknown };
  const message = body.message as { ts?: unknown; thread_ts?: unknown } | undefined;
  const threadTs = text(container.thread_ts) ?? text(message?.thread_ts);
  return {
    channel: body.channel?.id ?? '',
    ts: text(container.message_ts) ?? text(message?.ts) ?? '',
    ...(threadTs ? { threadTs } : {}),
  };
}

function slashCommandOf(body: BlockAction, text: string): SlashCommand {
  const origin = clickOrigin(body);
  return {
    text,
    user_id: body.user.id,
    user_name: body.user.username ?? body.user.name ?? body.user.id,
    team_id: origin.team ?? origin.userTeam ?? '',
    channel_id: body.channel?.id ?? '',
    // Slack sends a new trigger_id per click: a redelivered click keeps it and runs once.
    trigger_id: body.trigger_id,
    ...(origin.enterprise ? { enterprise_id: origin.enterprise } : {}),
    ...(origin.userTeam ? { user_team_id: origin.userTeam } : {}),
  };
}

/** Checks the click against its alert; a Redis that cannot answer refuses it too (nothing is done unchecked). */
async function clickProblem(deps: GatewayDeps, value: ButtonValue, body: BlockAction): Promise<string | undefined> {
  try {
    return alertClickProblem(await deps.alerts.getById(value.alert), value, clickOf(body));
  } catch (error) {
    deps.log('warn', 'could not read the alert of a button click', {
      error: error instanceof Error ? error.message : String(error),
    });
    return 'Coxswain could not check this alert just now (Redis did not answer); please try again.';
  }
}

type Tell = (message: { text: string; blocks?: unknown[] }) => Promise<void>;

interface Click {
  readonly actionId: string;
  readonly body: BlockAction;
  readonly raw: string | undefined;
  readonly tell: Tell;
}

async function handleClick(deps: GatewayDeps, { actionId, body, raw, tell }: Click): Promise<void> {
  const value = parseAlertButton(raw);
  const text = value ? commandForClick(actionId, value) : undefined;
  const refuse = async (reason: string, message: string): Promise<void> => {
    deps.log('warn', 'refused an alert button', { user: body.user.id, action: actionId, reason });
    await deps.audit.record({
      kind: 'request.invalid',
      user: body.user.id,
      channel: body.channel?.id ?? '',
      text: `button ${actionId}${text ? `: ${text}` : ''}`,
      decision: 'refused',
      reason,
    });
    await tell(renderError({ message }));
  };
  if (!value || !text) {
    await refuse(
      'malformed alert button payload',
      'This button is not valid (its payload was not one Coxswain made); nothing was done.',
    );
    return;
  }
  const problem = await clickProblem(deps, value, body);
  if (problem) {
    await refuse(problem, `${problem} Nothing was done. If you mean it, type ${inlineCode(`/k8s ${text}`, 300)}.`);
    return;
  }
  const answer = await handleCommand(deps, slashCommandOf(body, text));
  if (answer.ack) await tell(answer.ack);
  await answer.after?.(tell);
}

/** Routes the alert buttons to handleCommand, answering the clicker privately. */
export function registerAlertActions(app: App, deps: GatewayDeps, log: Log): void {
  for (const actionId of Object.values(alertActions)) {
    app.action<BlockAction<ButtonAction>>({ action_id: actionId }, async ({ ack, body, action, respond }) => {
      await ack();
      const tell: Tell = async (message) => {
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
        }).catch((error: unknown) => log('warn', 'could not answer a button click', { error: String(error) }));
      };
      await handleClick(deps, { actionId, body, raw: action.value, tell });
    });
  }
}
