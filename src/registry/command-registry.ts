import type { z } from 'zod';
import type { AnyCommandSpec, CommandLimits } from './command-spec.ts';

/** The commands by name. Two commands with one name fail at start-up. */
export interface CommandRegistry {
  readonly commands: readonly AnyCommandSpec[];
  get(name: string): AnyCommandSpec | undefined;
}

/** Schemas kept per command; limits change only with configuration and the policy's default namespace. */
const maxSchemasPerCommand = 16;

/**
 * Building a zod schema compiles it (zod 4 generates a parser), which cost more
 * than the rest of a request at the gateway; each command's schema is built
 * once per distinct limits and reused.
 */
function withCachedSchema(command: AnyCommandSpec): AnyCommandSpec {
  const cache = new Map<string, z.ZodType>();
  const schema = (limits: CommandLimits): z.ZodType => {
    const key = `${limits.maxReplicas}|${limits.defaultNamespace}|${limits.rolloutTimeoutMs}`;
    let built = cache.get(key);
    if (!built) {
      if (cache.size >= maxSchemasPerCommand) cache.clear();
      built = command.schema(limits) as z.ZodType;
      cache.set(key, built);
    }
    return built;
  };
  return { ...command, schema } as AnyCommandSpec;
}

/** Builds the registry; throws on a duplicate name so a mistake cannot reach users. */
export function createCommandRegistry(commands: readonly AnyCommandSpec[]): CommandRegistry {
  const byName = new Map<string, AnyCommandSpec>();
  for (const command of commands) {
    if (byName.has(command.name)) throw new Error(`two commands are named '${command.name}'`);
    byName.set(command.name, withCachedSchema(command));
  }
  return { commands: [...byName.values()], get: (name) => byName.get(name) };
}
