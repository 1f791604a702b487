// The Block Kit validator is the console's (it answers invalid_blocks); tests import it from here.
export * from '../../../src/console/in-process-slack/block-kit-validator.ts';
