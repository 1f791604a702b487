// The Slack emulator for tests and benchmarks (docs/slack-emulator.md). Its core is the
// console's in-process Slack (src/console/in-process-slack/, which ships); the test
// equipment around it — faults, the injectable clock, warnings, waitFor, Socket Mode,
// the seeded test secrets — lives here, because nothing in the product uses it.
export { SlackEmulator } from './slack-emulator.ts';
export type { CallPredicate, RecordedCall, SlackEmulatorOptions } from './slack-emulator.ts';
export { DEFAULT_BOT, SlackDriver, SLACK_TIMEOUT_MS } from '../../../src/console/in-process-slack/index.ts';
export type {
  AckMessage,
  ClickButtonOptions,
  ClickResult,
  DriverRequestOptions,
  DriverResponse,
  SlashCommandOptions,
  SlashCommandResult,
} from '../../../src/console/in-process-slack/index.ts';
export { SocketDriver } from './socket-driver.ts';
export type {
  SocketClickOptions,
  SocketClickResult,
  SocketRequestOptions,
  SocketSlashCommandOptions,
  SocketSlashCommandResult,
} from './socket-driver.ts';
export { SocketModeServer, SOCKET_MAX_MESSAGE_BYTES, SOCKET_URL_LIFETIME_MS } from './socket-mode.ts';
export type { DisconnectReason, EnvelopeOutcome, EnvelopeType } from './socket-mode.ts';
export { signSlackRequest } from '../../../src/console/in-process-slack/slack-signature.ts';
export { validateBlocks, invalidBlocksResult } from '../../../src/console/in-process-slack/block-kit-validator.ts';
export { EmulatorClock } from './emulator-clock.ts';
export { FaultInjector } from './fault-injector.ts';
export type { Fault } from './fault-injector.ts';
export {
  RESPONSE_URL_LIFETIME_MS,
  RESPONSE_URL_MAX_USES,
} from '../../../src/console/in-process-slack/response-urls.ts';
export type { ApiMethod, MethodContext } from '../../../src/console/in-process-slack/index.ts';
export type { WaitForOptions } from './call-waiter.ts';
export type { EmulatorWarning, WarningCode } from './warning-log.ts';
export type {
  ApiResult,
  ChannelSeed,
  EphemeralMessage,
  EphemeralSource,
  MessageContent,
  StoredMessage,
  UserSeed,
  UsergroupSeed,
} from '../../../src/console/in-process-slack/index.ts';
