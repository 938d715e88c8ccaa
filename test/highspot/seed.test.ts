/** The demo catalog's `highspot` section is valid for the emulator and is what it starts with by default. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_HIGHSPOT_SEED, highspotSeedSchema } from '../../emulators/highspot/seed';

test('config/demo-catalog.yaml highspot section parses and matches the default seed', () => {
  const catalog = parseYaml(readFileSync(join(__dirname, '..', '..', 'config', 'demo-catalog.yaml'), 'utf8')) as { highspot: unknown };
  assert.deepEqual(highspotSeedSchema.parse(catalog.highspot), highspotSeedSchema.parse(DEFAULT_HIGHSPOT_SEED));
});

test('a seeded last activity must be an ISO timestamp', () => {
  assert.throws(() => highspotSeedSchema.parse({ users: [{ userName: 'a@example.com', lastActivityAt: 'yesterday' }] }));
});
