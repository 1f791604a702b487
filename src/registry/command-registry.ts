import type { z } from 'zod';
import type { AnyCommandSpec, SchemaBounds } from './command-spec.ts';

/** The commands by name, each with its schema built once. Two commands with one name fail at start-up. */
export interface CommandRegistry {
  readonly commands: readonly AnyCommandSpec[];
  get(name: string): AnyCommandSpec | undefined;
  /**
   * The command's argument schema, built when the registry was (zod 4 compiles a parser, which costs more than a
   * request).
   */
  schemaOf(command: AnyCommandSpec): z.ZodType;
}

/** Builds the registry with the configuration's bounds; throws on a duplicate name so a mistake cannot reach users. */
export function createCommandRegistry(commands: readonly AnyCommandSpec[], bounds: SchemaBounds): CommandRegistry {
  const byName = new Map<string, AnyCommandSpec>();
  const schemas = new Map<AnyCommandSpec, z.ZodType>();
  for (const command of commands) {
    if (byName.has(command.name)) throw new Error(`two commands are named '${command.name}'`);
    byName.set(command.name, command);
    schemas.set(command, command.schema(bounds) as z.ZodType);
  }
  return {
    commands: [...byName.values()],
    get: (name) => byName.get(name),
    schemaOf: (command) => {
      const schema = schemas.get(command);
      if (!schema) throw new Error(`command '${command.name}' is not in this registry`);
      return schema;
    },
  };
}
