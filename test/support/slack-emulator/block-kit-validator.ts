export * from '../../../src/console/slack-emulator/block-kit-validator.ts';
