import type { CommandResult } from '../results.ts';
import { renderHistory } from './render-history.ts';
import { renderLogs } from './render-logs.ts';
import { renderRollout } from './render-rollout.ts';
import { renderTable } from './render-table.ts';
import { renderText } from './render-text.ts';
import type { SlackMessage } from './slack-message.ts';

/**
 * The details of a finished command, posted in the job's thread (or as the reply to a query). Commands return
 * neutral results; this is the one place that decides how each kind looks in Slack, always within Slack's limits.
 */
export function renderResult(result: CommandResult): SlackMessage {
  switch (result.kind) {
    case 'rollout':
      return renderRollout(result);
    case 'history':
      return renderHistory(result);
    case 'table':
      return renderTable(result);
    case 'logs':
      return renderLogs(result);
    case 'text':
      return renderText(result.title, result.text);
  }
}
