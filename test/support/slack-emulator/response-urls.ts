export * from '../../../src/console/slack-emulator/response-urls.ts';
