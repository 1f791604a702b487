export * from '../../../src/console/slack-emulator/websocket-frames.ts';
