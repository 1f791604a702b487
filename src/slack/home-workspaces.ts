// The workspaces the bot serves: SLACK_TEAM_ID when it is set, else the one the
// bot token belongs to, asked of Slack once (auth.test) at start-up and asked
// again until Slack answers. Until it is known, requests are refused: a gateway
// that does not know its workspace cannot tell a guest from a colleague.
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log/create-logger.ts';

/** The home workspaces, once known. */
export interface HomeWorkspaces {
  /** The workspace (T…) and organization (E…) IDs served, or undefined while not known yet. */
  current(): readonly string[] | undefined;
  /** Resolves once they are known (at once when configured). */
  readonly known: Promise<void>;
  stop(): void;
}

/** Options of learnHomeWorkspaces. */
export interface HomeWorkspacesOptions {
  /** SLACK_TEAM_ID; empty: ask auth.test. */
  readonly configured: readonly string[];
  readonly client: Pick<WebClient, 'auth'>;
  readonly log: Log;
  /** Between two asks while Slack does not answer. Default 5 s. */
  readonly retryMs?: number;
}

/** Starts learning the home workspaces. */
export function learnHomeWorkspaces(o: HomeWorkspacesOptions): HomeWorkspaces {
  if (o.configured.length > 0) return { current: () => o.configured, known: Promise.resolve(), stop: () => undefined };
  let home: readonly string[] | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let markKnown: () => void = () => undefined;
  const known = new Promise<void>((resolve) => {
    markKnown = resolve;
  });
  const ask = async (): Promise<void> => {
    try {
      const answer = await o.client.auth.test();
      const ids = [answer.team_id, answer.enterprise_id].filter(
        (id): id is string => typeof id === 'string' && /^[TE][A-Z0-9]{2,}$/.test(id),
      );
      if (ids.length === 0) throw new Error('auth.test named no workspace');
      home = Object.freeze(ids);
      o.log('info', "serving the bot token's own workspace (set SLACK_TEAM_ID to name others)", { workspaces: home });
      markKnown();
    } catch (error) {
      o.log(
        'warn',
        "could not learn the bot's workspace from Slack (auth.test); requests are refused until it answers, or set SLACK_TEAM_ID",
        { error: error instanceof Error ? error.message : String(error) },
      );
      if (!stopped)
        timer = setTimeout(() => {
          void ask();
        }, o.retryMs ?? 5000).unref();
    }
  };
  void ask();
  return {
    current: () => home,
    known,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
