import type { AnyCommandSpec } from './command-spec.ts';

/** The commands by name. Two commands with one name fail at start-up. */
export interface CommandRegistry {
  readonly commands: readonly AnyCommandSpec[];
  get(name: string): AnyCommandSpec | undefined;
}

/** Builds the registry; throws on a duplicate name so a mistake cannot reach users. */
export function createCommandRegistry(commands: readonly AnyCommandSpec[]): CommandRegistry {
  const byName = new Map<string, AnyCommandSpec>();
  for (const command of commands) {
    if (byName.has(command.name)) throw new Error(`two commands are named '${command.name}'`);
    byName.set(command.name, command);
  }
  return { commands: [...commands], get: (name) => byName.get(name) };
}
