// Every Web API client is made here, so SLACK_API_URL and the retry policy apply
// to all of them (tests point SLACK_API_URL at the emulator).
import { LogLevel, WebClient, WebClientEvent, type RetryOptions, type WebAPICallResult } from '@slack/web-api';
import type { Log } from '../log/create-logger.ts';
import { slackLogger } from '../log/slack-logger.ts';
import { countSlackError, countSlackRateLimit } from '../metrics/metrics.ts';
import type { Config } from '../config/load-config.ts';
import { leanFetch } from './lean-fetch.ts';

/**
 * Slack's own guidance: honour Retry-After on 429 and back off on 5xx. Up to 8
 * retries over 60-75 s (backoff 0.5 s doubling to 15 s, each randomized up to
 * twice as long, plus any Retry-After), so a message rides out a minute of
 * Slack trouble. (5 retries from 250 ms gave up after 8-16 s: a 25 s disturbance
 * lost a job's thread root, test/resilience/slack-errors.test.ts.) Beyond that a
 * message is given up and logged; the job's outcome stands in the audit trail.
 */
export const slackRetryPolicy: RetryOptions = {
  retries: 8,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 15_000,
  randomize: true,
};

/** Options of createWebClient. */
export interface WebClientOptions {
  readonly retryConfig?: RetryOptions;
}

/** Every Web API call goes through apiCall: failures are counted there, by method and Slack's error. */
class CountingWebClient extends WebClient {
  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      const { data, code } = error as { data?: { error?: unknown }; code?: unknown };
      countSlackError(
        method,
        typeof data?.error === 'string' ? data.error : typeof code === 'string' ? code : 'unknown',
      );
      throw error;
    }
  }
}

/** The method name of a Web API URL, for the rate-limit metric. */
function methodOf(url: unknown): string {
  return typeof url === 'string' ? (url.split('/').pop() ?? 'unknown') : 'unknown';
}

/** The Slack SDKs' level for Coxswain's. */
export function slackLogLevel(level: Config['logLevel']): LogLevel {
  return { debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR }[level];
}

/** A WebClient for the bot token, aimed at the configured API URL, logging through `log`. */
export function createWebClient(config: Config, log: Log, options: WebClientOptions = {}): WebClient {
  const client = new CountingWebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    logger: slackLogger(log, 'slack-web-api', slackLogLevel(config.logLevel)),
    retryConfig: options.retryConfig ?? slackRetryPolicy,
    rejectRateLimitedCalls: false,
    fetch: leanFetch,
  });
  client.on(WebClientEvent.RATE_LIMITED, (_seconds: number, request?: { url?: unknown }) =>
    countSlackRateLimit(methodOf(request?.url)),
  );
  return client;
}
