// response_urls are the console's; tests import their types from here.
export * from '../../../src/console/in-process-slack/response-urls.ts';
