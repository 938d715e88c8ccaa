/**
 * Enterprise Territory Management: the emulator's Territory2 / UserTerritory2Association contract
 * through jsforce, and the connector's `territory` grant kind (Territory2 by DeveloperName in the
 * active model) through the adapter, against the same emulator over HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adapterFor, failure, jsforceConnection, person, userFields, idOf, withEmulator } from './helpers';

test('contract: territories of the active model, user assignments created and deleted but never updated, duplicates refused', () =>
  withEmulator({}, async (emu) => {
    const conn = await jsforceConnection(emu);
    const described = await conn.sobject('UserTerritory2Association').describe();
    const field = (name: string) => described.fields.find((f) => f.name === name);
    assert.equal(field('UserId')?.createable, true);
    assert.equal(field('Territory2Id')?.createable, true);
    assert.equal(field('IsActive')?.createable, false, 'IsActive is defaulted on create, not written');
    assert.deepEqual(field('RoleInTerritory2')?.picklistValues?.map((p) => p.value), ['Owner', 'Administrator', 'Sales Rep']);
    assert.equal(described.updateable, false, 'UserTerritory2Association supports create and delete, not update');

    const active = await conn.query<{ Id: string; DeveloperName: string; ParentTerritory2Id: string | null }>(
      "SELECT Id, DeveloperName, ParentTerritory2Id FROM Territory2 WHERE Territory2Model.State = 'Active' ORDER BY DeveloperName",
    );
    assert.deepEqual(active.records.map((t) => t.DeveloperName), ['AMER', 'EMEA', 'EMEA_North']);
    const emea = active.records.find((t) => t.DeveloperName === 'EMEA')!;
    assert.equal(active.records.find((t) => t.DeveloperName === 'EMEA_North')!.ParentTerritory2Id, emea.Id);
    assert.equal((await conn.query("SELECT Id FROM Territory2 WHERE DeveloperName = 'EMEA'")).totalSize, 2, 'the archived model has an EMEA too');

    const user = await conn.sobject('User').create(userFields(idOf(emu, 'Profile', 'Standard User'), 'terr@example.com'));
    const created = await conn.sobject('UserTerritory2Association').create({ UserId: user.id, Territory2Id: emea.Id, RoleInTerritory2: 'Sales Rep' });
    assert.ok(created.id?.startsWith('0R0'));
    assert.equal((await failure(conn.sobject('UserTerritory2Association').create({ UserId: user.id, Territory2Id: emea.Id }))).errorCode, 'DUPLICATE_VALUE');
    assert.equal((await failure(conn.sobject('UserTerritory2Association').create({ UserId: user.id }))).errorCode, 'REQUIRED_FIELD_MISSING');
    const [row] = (await conn.query<{ IsActive: boolean; Territory2: { DeveloperName: string } }>(`SELECT IsActive, Territory2.DeveloperName FROM UserTerritory2Association WHERE UserId = '${user.id}'`)).records;
    assert.equal(row?.Territory2.DeveloperName, 'EMEA');
    await conn.sobject('UserTerritory2Association').destroy(created.id!);
    assert.equal((await conn.query(`SELECT Id FROM UserTerritory2Association WHERE UserId = '${user.id}'`)).totalSize, 0);
  }));

test('connector: territory grants by DeveloperName (or label) in the active model, read back, revoked in overwrite, unknown ones refused', () =>
  withEmulator({}, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    const { accountId } = await adapter.ensureAccount(desired);
    const grants = [{ kind: 'profile', name: 'Standard User' }, { kind: 'territory', name: 'EMEA' }, { kind: 'territory', name: 'Americas' }];
    const changes = await adapter.ensureEntitlements(accountId, grants, 'overwrite');
    assert.deepEqual(changes.filter((c) => c.action === 'grant').map((c) => c.subject).sort(), ['territory:AMER', 'territory:EMEA']);
    assert.deepEqual(await adapter.ensureEntitlements(accountId, grants, 'overwrite'), [], 'a second ensure writes nothing');

    const conn = await jsforceConnection(emu);
    const rows = (await conn.query<{ Territory2: { DeveloperName: string; Territory2Model: { State: string } } }>(
      `SELECT Territory2.DeveloperName, Territory2.Territory2Model.State FROM UserTerritory2Association WHERE UserId = '${accountId}'`,
    )).records;
    assert.deepEqual(rows.map((r) => `${r.Territory2.DeveloperName}/${r.Territory2.Territory2Model.State}`).sort(), ['AMER/Active', 'EMEA/Active'], 'the active model’s EMEA, not last year’s');
    const found = await adapter.findAccount({ anchor: desired.anchor });
    assert.deepEqual(found?.entitlements.filter((e) => e.kind === 'territory').map((e) => e.name).sort(), ['AMER', 'EMEA']);
    assert.ok((await adapter.listCatalog()).territory?.includes('EMEA_North'));

    const revoked = await adapter.ensureEntitlements(accountId, [{ kind: 'profile', name: 'Standard User' }, { kind: 'territory', name: 'EMEA' }], 'overwrite');
    assert.deepEqual(revoked.map((c) => `${c.action} ${c.subject}`), ['revoke territory:AMER']);
    assert.deepEqual(await adapter.ensureEntitlements(accountId, [{ kind: 'territory', name: 'AMER' }], 'merge').then((c) => c.map((x) => `${x.action} ${x.subject}`)), ['grant territory:AMER']);

    const unknown = await failure(adapter.ensureEntitlements(accountId, [{ kind: 'territory', name: 'APAC' }], 'overwrite'));
    assert.equal(unknown.type, 'UnknownEntitlement');
    assert.equal(unknown.nonRetryable, true);
  }));

test('connector: an org without territories still serves every other grant kind', () =>
  withEmulator({ seed: { profiles: [{ name: 'Standard User', license: 'Salesforce' }], publicGroups: ['All Sales'] } }, async (emu) => {
    const adapter = adapterFor(emu);
    const { accountId } = await adapter.ensureAccount(person());
    assert.deepEqual((await adapter.listCatalog()).territory, []);
    const changes = await adapter.ensureEntitlements(accountId, [{ kind: 'profile', name: 'Standard User' }, { kind: 'publicGroup', name: 'All Sales' }], 'overwrite');
    assert.deepEqual(changes.map((c) => c.subject), ['publicGroup:All Sales']);
  }));
