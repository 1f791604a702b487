// Composition root and command-line entry of Coxswain.
import { argv, exit, stderr, stdout } from 'node:process';

/** The command-line contract of DESIGN.md; kept in one place so help and parsing agree. */
export const usage = `coxswain — Slack ChatOps for Kubernetes

usage:
  coxswain start [--role gateway|worker|watcher|all]   run the bot (default: all roles in one process)
  coxswain console                                     chat with the bot in a terminal, no Slack needed
  coxswain check-policy FILE                           validate a policy file and explain it
  coxswain help                                        this text

configuration (environment):
  SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL,
  PORT, REDIS_URL, KUBECONFIG, COXSWAIN_POLICY, COXSWAIN_CLUSTER
`;

/** Runs the command line and returns the exit code. */
export function main(args: readonly string[]): number {
  const [command] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    stdout.write(usage);
    return 0;
  }
  stderr.write(`coxswain: '${command}' is not available in this build yet\n\n${usage}`);
  return 2;
}

exit(main(argv.slice(2)));
