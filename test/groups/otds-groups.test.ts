/**
 * OTDS over REST lists its groups for group tracking: anchored by the OTDS uuid (kept across a
 * rename), members from the people's own groups with nesting followed, the partition's groups only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import { directoryConfigSchema } from '../../directory/config';
import type { DirectorySource } from '../../directory/source';
import { startOtdsEmulator, type OtdsEmulator } from '../directory/support/otds-emulator';

const ADMIN = { userName: 'otadmin@otds.admin', password: 'otds-admin-pw' };
let otds: OtdsEmulator;
let source: DirectorySource;
const ids: Record<string, string> = {};

before(async () => {
  otds = await startOtdsEmulator({ admin: ADMIN, oauthClient: { clientId: 'idsync', clientSecret: 'unused-here' } });
  for (const name of ['ana', 'ben', 'cy']) ids[name] = otds.addUser({ name, partition: 'Corp', values: { mail: [`${name}@corp.example`] } });
  ids.outsider = otds.addUser({ name: 'outsider', partition: 'Partners', values: {} });
  const ops = otds.addGroup('ops', 'Corp', [ids.ana!, ids.ben!]);
  otds.addGroup('staff', 'Corp', [ops, ids.cy!]);
  otds.addGroup('partners', 'Partners', [ids.outsider!]);
  const config = directoryConfigSchema.parse({ kind: 'otds', baseUrl: otds.baseUrl, username: ADMIN.userName, passwordEnv: 'OTDS_TEST_PASSWORD', partition: 'Corp', pageSize: 2 });
  source = createDirectorySource(config, { OTDS_TEST_PASSWORD: ADMIN.password });
});

after(async () => {
  await source?.close();
  await otds?.close();
});

test('groups of the partition with their uuids, names and members (nested groups followed)', async () => {
  const people = new Map<string, string>();
  for await (const person of source.listPeople()) people.set(person.anchor, person.username);
  const groups = await source.listGroups!();
  const named = Object.fromEntries(groups.map((g) => [g.name, g.memberAnchors.map((a) => people.get(a)).sort()]));
  assert.deepEqual(named, { ops: ['ana', 'ben'], staff: ['ana', 'ben', 'cy'] }, 'the Partners partition is out of scope');
  for (const group of groups) assert.match(group.anchor, /^[0-9a-f-]{36}$/, 'anchored by the OTDS uuid');
  const staff = groups.find((g) => g.name === 'staff')!;
  assert.deepEqual(await source.getGroup!(staff.anchor), staff);
  assert.equal(await source.getGroup!('00000000-0000-0000-0000-000000000000'), null);
});
