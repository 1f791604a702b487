// The Slack emulator lives in src/console/slack-emulator (the console ships it);
// tests keep importing it from here.
export * from '../../../src/console/slack-emulator/index.ts';
