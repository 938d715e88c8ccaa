/**
 * Highspot access levels (single-valued) and onboarding assignments by role and region, behind the
 * provisional contract module: the policy picks them from title and region, and the connector
 * applies them over HTTP to the emulator (SCIM for the account, REST for level and assignments).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HighspotEmulatorHandle } from '../../emulators/highspot';
import type { TargetAdapter } from '../../targets/adapter';
import { HIGHSPOT_ONBOARDING, HIGHSPOT_REST } from '../../targets/highspot/assumed-contract';
import { computeDesiredState } from '../../policy/desired-state';
import { expectFailure } from '../scim/support';
import { policy, person, policyTarget, NOW } from '../policy/fixtures';
import { basicAuth, highspotAdapter, startEmulator, type HighspotCredentials } from './support';

/** Access level by role, onboarding by role and region; the level falls back to Sales Rep. */
const ONBOARDING_POLICY = policy({
  targets: {
    highspot: {
      scope: [{ id: 'hsp-everyone' }],
      birthright: { id: 'hsp-default-level', grant: { kind: 'accessLevel', name: 'Sales Rep' } },
      rules: [
        { id: 'hsp-level-managers', when: { title: { contains: 'manager' } }, grant: { kind: 'accessLevel', name: 'Manager' } },
        { id: 'hsp-bootcamp', when: { title: { contains: 'account executive' } }, grant: { kind: 'trainingPath', name: 'New Rep Bootcamp' } },
        { id: 'hsp-manager-path', when: { title: { contains: 'manager' } }, grant: { kind: 'trainingPath', name: 'Manager Essentials' } },
        { id: 'hsp-playbook-emea', when: { region: 'EMEA' }, grant: { kind: 'content', name: 'Sales Playbook EMEA' } },
        { id: 'hsp-playbook-amer', when: { region: 'AMER' }, grant: { kind: 'content', name: 'Sales Playbook AMER' } },
      ],
    },
  },
});

function desiredFor(overrides: Parameters<typeof person>[0]) {
  const state = computeDesiredState(person(overrides), ONBOARDING_POLICY, { highspot: policyTarget('highspot', '30d') }, NOW);
  return state.targets[0]!.account!;
}

describe('Highspot access levels and onboarding', () => {
  let emulator: HighspotEmulatorHandle;
  let credentials: HighspotCredentials;
  let adapter: TargetAdapter;
  before(async () => {
    ({ emulator, credentials } = await startEmulator({
      groups: ['All Employees'],
      onboarding: [
        { type: 'content', title: 'Sales Playbook EMEA' },
        { type: 'content', title: 'Sales Playbook AMER' },
        { type: 'training_path', title: 'New Rep Bootcamp' },
        { type: 'training_path', title: 'Manager Essentials' },
      ],
    }));
    adapter = highspotAdapter(emulator, credentials);
  });
  after(() => emulator.close());

  const restUser = async (id: string) => {
    const res = await fetch(`${emulator.restUrl}${HIGHSPOT_REST.userPath(id)}`, { headers: { authorization: basicAuth(credentials) } });
    return (await res.json()) as { access_level: string; assignments: { title: string; type: string }[] };
  };

  test('policy: the level by role (one, with a fallback), content by region and training paths by role', () => {
    const rep = desiredFor({ title: 'Account Executive', region: 'EMEA' });
    assert.deepEqual(rep.entitlements.map((e) => `${e.kind}:${e.name}`).sort(), ['accessLevel:Sales Rep', 'content:Sales Playbook EMEA', 'trainingPath:New Rep Bootcamp']);
    const manager = desiredFor({ title: 'Sales Manager', region: 'AMER' });
    assert.deepEqual(manager.entitlements.map((e) => `${e.kind}:${e.name}`).sort(), ['accessLevel:Manager', 'content:Sales Playbook AMER', 'trainingPath:Manager Essentials']);
  });

  test('connector: level and assignments applied once, read back, and changed with the role and region', async () => {
    const rep = { ...desiredFor({ anchor: 'hs-rep-1', email: 'hs.rep1@example.com', username: 'hs.rep1', title: 'Account Executive', region: 'EMEA' }) };
    const { accountId } = await adapter.ensureAccount(rep);
    assert.equal((await restUser(accountId)).access_level, HIGHSPOT_ONBOARDING.defaultAccessLevel);
    const first = await adapter.ensureEntitlements(accountId, rep.entitlements, 'overwrite');
    assert.deepEqual(first.map((c) => `${c.action} ${c.subject}`).sort(), ['grant content:Sales Playbook EMEA', 'grant trainingPath:New Rep Bootcamp']);
    assert.deepEqual(await adapter.ensureEntitlements(accountId, rep.entitlements, 'overwrite'), [], 'a second ensure writes nothing');

    const promoted = desiredFor({ anchor: 'hs-rep-1', email: 'hs.rep1@example.com', username: 'hs.rep1', title: 'Sales Manager', region: 'AMER' });
    const moved = await adapter.ensureEntitlements(accountId, promoted.entitlements, 'overwrite');
    assert.deepEqual(moved.map((c) => `${c.action} ${c.subject}`).sort(), [
      'grant content:Sales Playbook AMER',
      'grant trainingPath:Manager Essentials',
      'revoke content:Sales Playbook EMEA',
      'revoke trainingPath:New Rep Bootcamp',
      'update accessLevel',
    ]);
    const stored = await restUser(accountId);
    assert.equal(stored.access_level, 'Manager');
    assert.deepEqual(stored.assignments.map((a) => a.title).sort(), ['Manager Essentials', 'Sales Playbook AMER']);
    const found = await adapter.findAccount({ anchor: 'hs-rep-1' });
    assert.deepEqual(found?.entitlements.map((e) => `${e.kind}:${e.name}`).sort(), ['accessLevel:Manager', 'content:Sales Playbook AMER', 'trainingPath:Manager Essentials']);

    const catalog = await adapter.listCatalog();
    assert.deepEqual(catalog.accessLevel, [...HIGHSPOT_ONBOARDING.accessLevels]);
    assert.deepEqual(catalog.trainingPath, ['Manager Essentials', 'New Rep Bootcamp']);
  });

  test('connector: two levels, an unknown level or an unknown item are refused before anything is written', async () => {
    const desired = desiredFor({ anchor: 'hs-rep-2', email: 'hs.rep2@example.com', username: 'hs.rep2', title: 'Account Executive', region: 'EMEA' });
    const { accountId } = await adapter.ensureAccount(desired);
    await expectFailure(adapter.ensureEntitlements(accountId, [{ kind: 'accessLevel', name: 'Manager' }, { kind: 'accessLevel', name: 'Sales Rep' }], 'overwrite'), 'ValidationError', true);
    await expectFailure(adapter.ensureEntitlements(accountId, [{ kind: 'accessLevel', name: 'Owner' }], 'overwrite'), 'UnknownEntitlement', true);
    await expectFailure(adapter.ensureEntitlements(accountId, [{ kind: 'content', name: 'Sales Playbook APAC' }], 'overwrite'), 'UnknownEntitlement', true);
    const untouched = await restUser(accountId);
    assert.equal(untouched.access_level, HIGHSPOT_ONBOARDING.defaultAccessLevel);
    assert.deepEqual(untouched.assignments, []);
  });
});
