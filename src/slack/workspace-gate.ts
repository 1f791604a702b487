// Which Slack workspaces a request may come from. The signature proves a
// request is Slack's, not whose workspace it is: in a Slack Connect channel the
// people of another organization type the same /k8s. Coxswain serves the
// workspaces it is pinned to (SLACK_TEAM_ID, else the bot token's own); a person
// of any other workspace gets in only when the policy names them or their
// workspace, and then only the bindings that do apply to them.

/** Where a request says it comes from, as Slack's payload has it. */
export interface RequestOrigin {
  readonly userId: string;
  /** The workspace the request came through (`team_id`; a click's `team.id`). */
  readonly team?: string;
  /** Enterprise Grid organization (`enterprise_id`), when there is one. */
  readonly enterprise?: string;
  /** The person's own workspace when Slack says it apart from `team` (a click's `user.team_id`). */
  readonly userTeam?: string;
}

/** Let in (a guest carries their workspace), or refused with why. */
export type GateVerdict =
  { readonly ok: true; readonly externalTeam?: string } | { readonly ok: false; readonly reason: string };

/** The check, over the home workspaces (undefined while they are not known yet) and the policy's guests. */
export interface WorkspaceGate {
  check(origin: RequestOrigin): GateVerdict;
}

/** Options of createWorkspaceGate. */
export interface WorkspaceGateOptions {
  /** The workspaces (T…) and organizations (E…) served; undefined until learned from auth.test. */
  readonly home: () => readonly string[] | undefined;
  /** Whether the policy names this person or this workspace (bindings' `users` or `teams`). */
  readonly admitsGuest: (userId: string, teamId: string) => boolean;
}

/** Builds the gate. */
export function createWorkspaceGate(options: WorkspaceGateOptions): WorkspaceGate {
  return {
    check: (origin) => {
      const home = options.home();
      if (!home)
        return {
          ok: false,
          reason:
            'Coxswain has not learned yet which Slack workspace it serves (auth.test has not answered); nothing was done. Try again shortly.',
        };
      const team = origin.team ?? origin.userTeam;
      if (!team) return { ok: false, reason: 'The request names no Slack workspace; nothing was done.' };
      const isHome = (t: string): boolean =>
        home.includes(t) || (origin.enterprise !== undefined && home.includes(origin.enterprise) && t === team);
      const foreign = [team, origin.userTeam ?? team].find((t) => !isHome(t));
      if (foreign === undefined) return { ok: true };
      if (options.admitsGuest(origin.userId, foreign)) return { ok: true, externalTeam: foreign };
      return {
        ok: false,
        reason: `Coxswain here serves workspace ${home.join(', ')} only, and the policy does not name you or your workspace (${foreign}); nothing was done.`,
      };
    },
  };
}
