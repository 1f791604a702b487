import { z } from 'zod';
import { defineCommand, verbsOf, type AnyCommandSpec } from '../src/registry/command-spec.ts';
import { didYouMean } from '../src/text/did-you-mean.ts';

function describeOne(command: AnyCommandSpec): string {
  const flags = Object.entries(command.flags).map(
    ([name, f]) => `  ${f.short ? `-${f.short}, ` : ''}--${name}${f.kind === 'value' ? ' …' : ''} — ${f.description}`,
  );
  return [
    `*${command.summary}*`,
    `\`/k8s ${command.usage}\``,
    ...(flags.length ? ['', ...flags] : []),
    '',
    'Examples:',
    ...command.examples.map((e) => `\`/k8s ${e}\``),
  ].join('\n');
}

/** /k8s help [command]: what Coxswain can do, or how to use one command. */
export const help = defineCommand({
  name: 'help',
  summary: 'List the commands, or explain one',
  usage: 'help [command]',
  examples: ['help', 'help deploy', 'help rollout undo'],
  positionals: ['topic', 'subtopic'],
  flags: {},
  schema: () => z.object({ topic: z.string().max(40).optional(), subtopic: z.string().max(40).optional() }).strict(),
  verb: 'none',
  runsIn: 'gateway',
  describe: (a) => `help${a.topic ? ` ${a.topic}` : ''}`,
  run: (a, ctx) => {
    if (!a.topic) {
      // Only what the policy lets this person run somewhere (Errbot's HIDE_RESTRICTED_COMMANDS, always on).
      const usable = ctx.commands.filter(
        (c) => c.verb === 'none' || verbsOf(c).some((verb) => ctx.access.decide({ verb }).allowed),
      );
      const hidden = ctx.commands.length - usable.length;
      const lines = usable.map((c) => `\`${c.usage}\` — ${c.summary}`);
      const note = hidden > 0 ? `\n${hidden} more need a role you do not have here; \`/k8s whoami\` shows yours.` : '';
      return {
        kind: 'text',
        title: 'Coxswain commands',
        text: `${lines.join('\n')}\n\n\`/k8s help <command>\` explains one.${note}`,
      };
    }
    const wanted = [a.topic, a.subtopic].filter(Boolean).join(' ').toLowerCase();
    const command =
      ctx.commands.find((c) => c.name === wanted) ?? ctx.commands.find((c) => c.name === a.topic?.toLowerCase());
    if (command) return { kind: 'text', title: `/k8s ${command.name}`, text: describeOne(command) };
    const suggestion = didYouMean(
      wanted,
      ctx.commands.map((c) => c.name),
    );
    return {
      kind: 'text',
      title: 'No such command',
      text: `\`${wanted}\` is not a command.${suggestion ? ` Did you mean \`${suggestion}\`?` : ''}`,
    };
  },
});
