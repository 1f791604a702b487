// The policy the approval tests share: U0ALICE may do everything, U0BOB may approve,
// and the given approval rules (YAML flow mappings) say what needs his approval.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes that policy as `<dir>/<name>-<random>.yaml` and returns its path. */
export async function writeApprovalPolicy(dir: string, name: string, approvals: readonly string[]): Promise<string> {
  const file = join(dir, `${name}-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(file, `
roles:
  ops:      [{ verbs: ["*"] }]
  approver: [{ verbs: [approve] }]
bindings:
  - { role: ops,      users: [U0ALICE] }
  - { role: approver, users: [U0BOB] }
approvals:
${approvals.map((rule) => `  - ${rule}`).join('\n')}
`);
  return file;
}
