// The views' public surface: the rest of the bot renders through these and never builds blocks itself.
export type { SlackMessage } from './slack-message.ts';
export type { JobState, JobStatusView } from './job-status-view.ts';
export type { ErrorReply } from './render-error.ts';
export { renderJobStatus } from './render-job-status.ts';
export { renderResult } from './render-result.ts';
export { renderError } from './render-error.ts';
export { renderText } from './render-text.ts';
export { slackLimits } from './slack-limits.ts';
