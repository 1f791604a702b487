// The registry of /k8s subcommands. main.ts hands it to the parser and the worker.
import { createCommandRegistry, type CommandRegistry } from '../src/registry/command-registry.ts';
import type { SchemaBounds } from '../src/registry/command-spec.ts';
import { audit } from './audit.ts';
import { approve } from './approve.ts';
import { canI } from './can-i.ts';
import { deploy } from './deploy.ts';
import { get } from './get.ts';
import { help } from './help.ts';
import { lock } from './lock.ts';
import { logs } from './logs.ts';
import { unlock } from './unlock.ts';
import { reject } from './reject.ts';
import { rolloutHistory } from './rollout-history.ts';
import { rolloutRestart } from './rollout-restart.ts';
import { rolloutStatus } from './rollout-status.ts';
import { rolloutUndo } from './rollout-undo.ts';
import { scale } from './scale.ts';
import { whoami } from './whoami.ts';

/** Every command, in the order help lists them. */
export const allCommands = [
  deploy,
  scale,
  rolloutStatus,
  rolloutHistory,
  rolloutUndo,
  rolloutRestart,
  get,
  logs,
  audit,
  lock,
  unlock,
  whoami,
  canI,
  approve,
  reject,
  help,
] as const;

/** COXSWAIN_MAX_REPLICAS's default: the bounds of a registry made without configuration (tests, the docs' examples). */
export const defaultBounds: SchemaBounds = { maxReplicas: 100 };

/** A fresh registry of all commands, their schemas built with `bounds`. */
export function createRegistry(bounds: SchemaBounds = defaultBounds): CommandRegistry {
  return createCommandRegistry(allCommands, bounds);
}
