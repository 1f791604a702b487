/** The Slack emulator's public surface; see docs/slack-emulator.md. */
export { SlackEmulator, DEFAULT_BOT } from './slack-emulator.ts';
export type { SlackEmulatorOptions } from './slack-emulator.ts';
export { SlackDriver, SLACK_TIMEOUT_MS } from './slack-driver.ts';
export type { AckMessage, ClickButtonOptions, ClickResult, DriverRequestOptions, SlashCommandOptions, SlashCommandResult } from './slack-driver.ts';
export type { DriverResponse } from './driver-http.ts';
export { SocketDriver } from './socket-driver.ts';
export type { SocketClickOptions, SocketClickResult, SocketRequestOptions, SocketSlashCommandOptions, SocketSlashCommandResult } from './socket-driver.ts';
export { SocketModeServer, SOCKET_MAX_MESSAGE_BYTES, SOCKET_URL_LIFETIME_MS } from './socket-mode.ts';
export type { DisconnectReason, EnvelopeOutcome, EnvelopeType } from './socket-mode.ts';
export { signSlackRequest } from './slack-signature.ts';
export { validateBlocks, invalidBlocksResult } from './block-kit-validator.ts';
export { EmulatorClock } from './emulator-clock.ts';
export { FaultInjector } from './fault-injector.ts';
export { RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_MAX_USES } from './response-urls.ts';
export type { ApiMethod, MethodContext } from './api-method.ts';
export type { WaitForOptions, CallPredicate } from './call-recorder.ts';
export type * from './emulator-types.ts';
