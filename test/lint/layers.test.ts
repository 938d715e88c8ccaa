/**
 * The floors of the code base (eslint.config.mjs): an import from a lower floor to a higher one is a
 * lint error, so `npm test` (which lints) fails on it. Checked through ESLint's own API on source
 * text placed, virtually, in each folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { PROJECT_ROOT } from '../../scripts/local-services';

const eslint = new ESLint({ cwd: PROJECT_ROOT });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(PROJECT_ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

test('a lower floor may not import a higher one; the same or a lower floor may', async () => {
  const cases: [string, string, boolean][] = [
    ['domain/x.ts', "import type { Runtime } from '../app/runtime';\nexport type X = Runtime;\n", false],
    ['lib/x.ts', "import type { Person } from '../domain/person';\nexport type X = Person;\n", true],
    ['lib/x.ts', "import type { PolicyConfig } from '../policy/config';\nexport type X = PolicyConfig;\n", false],
    ['policy/x.ts', "import { planPersonNow } from '../activities/planning';\nexport const x = planPersonNow;\n", false],
    ['targets/hubspot/x.ts', "import type { IdsyncConfig } from '../../app/config';\nexport type X = IdsyncConfig;\n", false],
    ['targets/hubspot/x.ts', "import { compareText } from '../../lib/compare-text';\nexport const x = compareText;\n", true],
    ['app/x.ts', "import { createProvisioningActivities } from '../activities/provisioning';\nexport const x = createProvisioningActivities;\n", false],
    ['activities/x.ts', "import type { Runtime } from '../app/runtime';\nexport type X = Runtime;\n", true],
    ['workers/x.ts', "import { createProvisioningActivities } from '../activities/provisioning';\nexport const x = createProvisioningActivities;\n", true],
  ];
  for (const [file, source, allowed] of cases) {
    const messages = await restricted(file, source);
    assert.equal(messages.length === 0, allowed, `${file}: ${source.split('\n')[0]} -> ${messages.join('; ') || 'allowed'}`);
  }
});

test('workflow code keeps its sandbox rules on top of the floors', async () => {
  assert.ok((await restricted('workflows/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).length > 0);
  assert.ok((await restricted('workflows/x.ts', "import { createProvisioningActivities } from '../activities/provisioning';\nexport const x = createProvisioningActivities;\n")).length > 0);
  assert.deepEqual(await restricted('workflows/x.ts', "import type { ProvisioningActivities } from '../activities/provisioning';\nexport type X = ProvisioningActivities;\n"), []);
});
