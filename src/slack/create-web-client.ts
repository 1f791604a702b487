// Every Web API client is made here, so SLACK_API_URL and the retry policy apply
// to all of them (tests point SLACK_API_URL at the emulator).
import { WebClient, type RetryOptions } from '@slack/web-api';
import type { Config } from '../config/load-config.ts';
import { leanFetch } from './lean-fetch.ts';

/**
 * Slack's own guidance: honour Retry-After on 429 and back off on 5xx. Up to 5
 * retries within about a minute; the queue retries the whole job beyond that.
 */
export const slackRetryPolicy: RetryOptions = { retries: 5, factor: 2, minTimeout: 250, maxTimeout: 15_000, randomize: true };

/** Options of createWebClient. */
export interface WebClientOptions {
  readonly retryConfig?: RetryOptions;
}

/** A WebClient for the bot token, aimed at the configured API URL. */
export function createWebClient(config: Config, options: WebClientOptions = {}): WebClient {
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: options.retryConfig ?? slackRetryPolicy,
    rejectRateLimitedCalls: false,
    fetch: leanFetch,
  });
}
