/** The console's in-process Slack; see docs/slack-emulator.md. */
export { InProcessSlack, DEFAULT_BOT } from './in-process-slack.ts';
export type {
  AppLevelMethods,
  InProcessSlackHooks,
  InProcessSlackOptions,
  UpgradeHandler,
} from './in-process-slack.ts';
export { SlackDriver, SLACK_TIMEOUT_MS } from './slack-driver.ts';
export type {
  AckMessage,
  ClickButtonOptions,
  ClickResult,
  DriverRequestOptions,
  SlashCommandOptions,
  SlashCommandResult,
} from './slack-driver.ts';
export type { DriverResponse } from './driver-http.ts';
export type { ApiMethod, MethodContext } from './api-method.ts';
export type { CallListener } from './call-recorder.ts';
export type * from './slack-types.ts';
