import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import { scimDirectorySchema } from '../../inbound/scim/config';
import { ENTERPRISE, GROUP_SCHEMA, PATCH_OP, SCIM_TOKEN, scim, startEndpoint, user, type Endpoint } from './scim-support';

const endpoints: Endpoint[] = [];
after(async () => {
  for (const e of endpoints) await e.close().catch(() => undefined);
});

test('directory.kind scim reads the pushed users over HTTP: mapping, look-ups, groups, and a change feed whose deletions are proven', async () => {
  const e = await startEndpoint('scim-source');
  endpoints.push(e);
  const base = e.server.url;
  const config = scimDirectorySchema.parse({ kind: 'scim', tokenEnv: 'SCIM_SOURCE_TEST_TOKEN', url: base });
  const source = createDirectorySource(config, { SCIM_SOURCE_TEST_TOKEN: SCIM_TOKEN });
  const boss = (await scim(base, 'POST', '/Users', user('boss'))).body.id!;
  const ada = (
    await scim(base, 'POST', '/Users', user('ada', {
      displayName: 'Ada L',
      title: 'Engineer',
      userType: 'employee',
      externalId: 'hr-17',
      emails: [{ value: 'ada.home@example.org', type: 'home' }, { value: 'ada@example.com', type: 'work', primary: true }],
      addresses: [{ region: 'EMEA', primary: true }],
      [ENTERPRISE]: { employeeNumber: 'E17', department: 'Research', division: 'Labs', manager: { value: boss } },
    }))
  ).body.id!;
  const team = (await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'research', members: [{ value: ada }] })).body.id!;
  const all = (await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'everyone', members: [{ value: team, type: 'Group' }, { value: boss }] })).body.id!;

  const person = await source.getPerson(ada);
  assert.deepEqual(person, {
    anchor: ada,
    dn: `scim/Users/${ada}`,
    username: 'ada',
    enabled: true,
    groups: ['everyone', 'research'],
    extra: { externalId: 'hr-17' },
    email: 'ada@example.com',
    givenName: 'Test',
    familyName: 'ada',
    displayName: 'Ada L',
    employeeId: 'E17',
    employeeType: 'employee',
    department: 'Research',
    title: 'Engineer',
    region: 'EMEA',
    businessUnit: 'Labs',
    managerAnchor: boss,
    managerDn: `scim/Users/${boss}`,
  });
  assert.equal(await source.getPerson('no-such-id'), null);
  assert.equal((await source.findPerson({ username: 'ADA' }))?.anchor, ada);
  assert.equal((await source.findPerson({ email: 'ada@example.com' }))?.anchor, ada);
  assert.deepEqual(await source.groupMemberAnchors('everyone'), [ada, boss].sort());
  assert.deepEqual((await source.listGroups!()).find((g) => g.anchor === all)?.memberAnchors, [ada, boss].sort());

  const cursor = await source.currentCursor!();
  assert.deepEqual(await source.changesSince(cursor), { changed: [], removedAnchors: [], cursor, changedGroups: [] });
  await scim(base, 'PATCH', `/Users/${ada}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  await scim(base, 'DELETE', `/Users/${boss}`);
  const changes = await source.changesSince(cursor);
  assert.deepEqual(changes.changed.map((p) => [p.anchor, p.enabled]), [[ada, false]]);
  assert.deepEqual(changes.removedAnchors, [boss], 'a SCIM DELETE is a proven deletion');
  assert.deepEqual(changes.changedGroups, ['everyone'], 'the group the deleted user left');
  const people: string[] = [];
  for await (const p of source.listPeople()) people.push(p.username);
  assert.deepEqual(people, ['ada']);
  const wrongToken = createDirectorySource(config, { SCIM_SOURCE_TEST_TOKEN: 'not-the-token-at-all' });
  await assert.rejects(wrongToken.getPerson(ada), /refused the token in SCIM_SOURCE_TEST_TOKEN/);
});
