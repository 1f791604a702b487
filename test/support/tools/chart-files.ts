// The chart's generated files. Its README comes from values.yaml: every key with a `# --` comment above it (the
// helm-docs convention) becomes a row of the values table, with its type and default read from the parsed file. Its
// files/ are copies of deploy/'s monitoring rules and dashboard (a chart cannot read outside its directory).
// `npm run chart:generate` writes them; test/integration/deploy/chart.test.ts fails when a committed one differs.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** One documented key. */
interface Row {
  readonly path: string;
  readonly description: string;
}

/** The description a comment block gives its key: from its `# --` line to the key, or none. */
function describedBy(comment: readonly string[]): string | undefined {
  const start = comment.findIndex((c) => c.startsWith('-- '));
  if (start < 0) return undefined;
  return [comment[start]?.slice(3) ?? '', ...comment.slice(start + 1)].join(' ').trim();
}

/** The keys of values.yaml with their `# --` comments, in file order. */
export function documentedKeys(valuesYaml: string): Row[] {
  const rows: Row[] = [];
  const stack: { indent: number; key: string }[] = [];
  let comment: string[] = [];
  for (const line of valuesYaml.split('\n')) {
    const commentLine = /^\s*# ?(.*)$/.exec(line);
    const keyLine = /^(\s*)([\w.-]+):/.exec(line);
    if (commentLine) comment.push(commentLine[1] ?? '');
    // A blank line ends a comment block; any other line that is not a key (a block scalar's) is passed over.
    else if (!keyLine) comment = line.trim() === '' ? [] : comment;
    else {
      const indent = keyLine[1]?.length ?? 0;
      while ((stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
      stack.push({ indent, key: keyLine[2] ?? '' });
      const description = describedBy(comment);
      if (description !== undefined) rows.push({ path: stack.map((s) => s.key).join('.'), description });
      comment = [];
    }
  }
  return rows;
}

function valueAt(values: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** A default as the table shows it: JSON, one line; a multi-line text is only named. */
function defaultOf(value: unknown): string {
  if (typeof value === 'string' && value.includes('\n')) return '(a YAML document: see values.yaml)';
  return `\`${JSON.stringify(value)}\``;
}

const escapeCell = (text: string): string => text.replaceAll('|', '\\|');

/** The README of the chart whose Chart.yaml and values.yaml these are. */
export function chartReadme(chartYaml: string, valuesYaml: string): string {
  const chart = parse(chartYaml) as { name: string; version: string; appVersion: string; description: string };
  const values = parse(valuesYaml) as unknown;
  const rows = documentedKeys(valuesYaml).map((row) => {
    const value = valueAt(values, row.path);
    return `| \`${row.path}\` | ${typeOf(value)} | ${escapeCell(defaultOf(value))} | ${escapeCell(row.description)} |`;
  });
  return `<!-- Generated from values.yaml by \`npm run chart:generate\`; edit the comments there, not this file. -->
# ${chart.name}

${chart.description}

Chart ${chart.version}, Coxswain ${chart.appVersion}. It renders the same objects as the Kustomize tree in
[deploy/](../../deploy/README.md) for the same choices (a test compares them), except that it does not create the
namespace: create it first with its Pod Security labels.

## Install

\`\`\`sh
kubectl apply -f deploy/base/namespace.yaml        # the namespace, Pod Security restricted
# the Secrets, as deploy/README.md steps 3 to 5 (coxswain-slack, coxswain-redis or coxswain-redis-auth, coxswain-seal)
helm install coxswain charts/coxswain -n coxswain -f my-values.yaml
\`\`\`

A key that is not in the table below fails the install with its name (values.schema.json). After the install,
\`helm status coxswain -n coxswain\` repeats what to do next.

## Values

| Key | Type | Default | Description |
|---|---|---|---|
${rows.join('\n')}
`;
}

/** Files of deploy/ the chart carries as they are: [source, copy], relative to the repository root. */
export const copiedFiles: readonly (readonly [string, string])[] = [
  ['deploy/components/monitoring/prometheus-rule.yaml', 'charts/coxswain/files/prometheus-rule.yaml'],
  ['deploy/components/monitoring/coxswain-dashboard.json', 'charts/coxswain/files/coxswain-dashboard.json'],
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const chart = join(root, 'charts', 'coxswain');
  const readme = chartReadme(
    readFileSync(join(chart, 'Chart.yaml'), 'utf8'),
    readFileSync(join(chart, 'values.yaml'), 'utf8'),
  );
  writeFileSync(join(chart, 'README.md'), readme);
  console.log(`wrote ${join(chart, 'README.md')}`);
  for (const [source, copy] of copiedFiles) {
    copyFileSync(join(root, source), join(root, copy));
    console.log(`copied ${source} to ${copy}`);
  }
}
