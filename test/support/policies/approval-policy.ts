// The policy the approval tests share: U0ALICE may do everything, U0BOB (or the given
// approvers) may approve, and the given approval rules (YAML flow mappings) say what
// needs approval; `more` is YAML appended as it is (e.g. an alerts section).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes that policy as `<dir>/<name>-<random>.yaml` and returns its path. */
export async function writeApprovalPolicy(
  dir: string,
  name: string,
  approvals: readonly string[],
  options: { approvers?: readonly string[]; more?: string } = {},
): Promise<string> {
  const file = join(dir, `${name}-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    file,
    `
roles:
  ops:      [{ verbs: ["*"] }]
  approver: [{ verbs: [approve] }]
bindings:
  - { role: ops,      users: [U0ALICE] }
  - { role: approver, users: [${(options.approvers ?? ['U0BOB']).join(', ')}] }
approvals:
${approvals.map((rule) => `  - ${rule}`).join('\n')}
${options.more ?? ''}`,
  );
  return file;
}
