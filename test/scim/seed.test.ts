/** The demo catalog's `scim` section is valid for the emulator and is what it starts with by default. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_SCIM_SEED, scimSeedSchema } from '../../emulators/scim/seed';

test('config/demo-catalog.yaml scim section parses and matches the default seed', () => {
  const catalog = parseYaml(readFileSync(join(__dirname, '..', '..', 'config', 'demo-catalog.yaml'), 'utf8')) as { scim: unknown };
  assert.deepEqual(scimSeedSchema.parse(catalog.scim), scimSeedSchema.parse(DEFAULT_SCIM_SEED));
});

test('the seed schema rejects a group without a name', () => {
  assert.throws(() => scimSeedSchema.parse({ groups: [''] }));
});
