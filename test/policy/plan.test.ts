import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountState } from '../../domain/account';
import { computeDesiredState } from '../../policy/desired-state';
import { hasChanges, planAccountChanges, planPersonFromAccounts, type PlannedChange } from '../../policy/plan';
import { formatPlan } from '../../policy/plan-text';
import type { DesiredTargetState } from '../../policy/types';
import { DEMO_TARGETS, NOW, examplePolicy, person } from './fixtures';

const example = examplePolicy();
const stateFor = (overrides = {}) => computeDesiredState(person(overrides), example, DEMO_TARGETS, NOW);
const salesforce = (overrides = {}): DesiredTargetState => stateFor(overrides).targets.find((t) => t.target === 'salesforce')!;
const lines = (changes: PlannedChange[]) => changes.map((c) => `${c.action} ${c.subject}${c.rule ? ` <- ${c.rule}` : ''}`);

/** The account as Salesforce would hold it after applying the desired state exactly. */
function accountMatching(desired: DesiredTargetState): AccountState {
  const a = desired.account!;
  return {
    id: '005000000000001AAA',
    username: a.username,
    email: a.email,
    anchor: a.anchor,
    givenName: a.givenName,
    familyName: a.familyName,
    active: a.active,
    attributes: { ...a.attributes },
    entitlements: a.entitlements.map((e) => ({ kind: e.kind, name: e.name })),
  };
}

test('no account yet: create it, then grant every entitlement with its rule', () => {
  const changes = planAccountChanges(salesforce(), null, 'overwrite');
  assert.deepEqual(lines(changes), [
    'create account <- sf-scope-sales',
    'grant profile:Standard User <- sf-birthright',
    'grant publicGroup:All Sales <- sf-sales-all',
    'grant publicGroup:Sales EMEA <- sf-sales-emea',
    'grant role:Sales Rep EMEA <- sf-sales-emea',
  ]);
  assert.deepEqual((changes[0]!.after as { username: string; active: boolean }).username, 'jdoe@corp.example.com');
});

test('an account that already matches needs nothing, in either mode', () => {
  const desired = salesforce();
  assert.deepEqual(planAccountChanges(desired, accountMatching(desired), 'overwrite'), []);
  assert.deepEqual(planAccountChanges(desired, accountMatching(desired), 'merge'), []);
});

test('updates name the attribute with before and after; case-only username/email differences are not changes', () => {
  const desired = salesforce();
  const actual = accountMatching(desired);
  actual.username = actual.username.toUpperCase();
  actual.attributes.Department = 'Marketing';
  delete actual.attributes.Title;
  actual.familyName = 'Smith';
  const changes = planAccountChanges(desired, actual, 'overwrite');
  assert.deepEqual(
    changes.map((c) => [c.action, c.subject, c.before, c.after]),
    [
      ['update', 'familyName', 'Smith', 'Doe'],
      ['update', 'attribute:Department', 'Marketing', 'Sales'],
      ['update', 'attribute:Title', null, 'Account Executive'],
    ],
  );
  assert.equal(changes[1]!.reason, 'policy.targets.salesforce.attributes.Department');
});

test('link an account found by username, and warn when it carries another anchor', () => {
  const desired = salesforce();
  const unlinked = { ...accountMatching(desired), anchor: undefined };
  assert.deepEqual(lines(planAccountChanges(desired, unlinked, 'overwrite')), ['link anchor <- sf-scope-sales']);
  const foreign = { ...accountMatching(desired), anchor: 'someone-else' };
  const [change] = planAccountChanges(desired, foreign, 'overwrite');
  assert.match(change!.reason, /anchored to another identity/);
});

test('overwrite revokes what no rule grants; merge keeps it; single-valued kinds are replaced in both', () => {
  const desired = salesforce();
  const actual = accountMatching(desired);
  actual.entitlements = [
    { kind: 'profile', name: 'Read Only' },
    { kind: 'permissionSet', name: 'Sales_Ops' },
    { kind: 'publicGroup', name: 'all sales' },
    { kind: 'publicGroup', name: 'Sales EMEA' },
    { kind: 'role', name: 'Sales Rep EMEA' },
  ];
  const overwrite = planAccountChanges(desired, actual, 'overwrite');
  assert.deepEqual(
    overwrite.map((c) => [c.action, c.subject, c.before]),
    [
      ['grant', 'profile:Standard User', 'Read Only'],
      ['revoke', 'permissionSet:Sales_Ops', 'Sales_Ops'],
    ],
  );
  assert.match(overwrite[0]!.reason, /replaces profile Read Only/);
  const merge = planAccountChanges(desired, actual, 'merge');
  assert.deepEqual(
    merge.map((c) => [c.action, c.subject]),
    [
      ['grant', 'profile:Standard User'],
      ['keep', 'permissionSet:Sales_Ops'],
    ],
  );
  assert.equal(hasChanges(merge), true);
  assert.equal(hasChanges(merge.filter((c) => c.action === 'keep')), false);
});

test('entitlements the target is told to ignore are kept, even in overwrite mode', () => {
  const desired = salesforce();
  const actual = { ...accountMatching(desired), entitlements: [...accountMatching(desired).entitlements, { kind: 'permissionSet', name: 'Break_Glass_Admin' }] };
  assert.deepEqual(lines(planAccountChanges(desired, actual, 'overwrite')), ['revoke permissionSet:Break_Glass_Admin']);
  const kept = planAccountChanges(desired, actual, 'overwrite', { ignoreEntitlements: ['permissionset:break_glass_admin'] });
  assert.deepEqual(kept.map((c) => [c.action, c.subject, c.reason]), [['keep', 'permissionSet:Break_Glass_Admin', "listed in the target's ignoreEntitlements: never revoked"]]);
});

test('privileged grants are flagged for approval', () => {
  const desired = salesforce({ groups: ['salesforce-admins'] });
  const grants = planAccountChanges(desired, null, 'overwrite').filter((c) => c.action === 'grant');
  assert.deepEqual(
    grants.map((c) => [c.subject, c.privileged === true, c.reason]),
    [
      ['permissionSet:Modify_All_Data', true, 'privileged: needs approval'],
      ['profile:System Administrator', true, 'privileged: needs approval'],
    ],
  );
});

test('a suspended or inactive account in scope is brought back; a future starter stays inactive', () => {
  const desired = salesforce();
  assert.deepEqual(lines(planAccountChanges(desired, { ...accountMatching(desired), active: false, suspended: true }, 'overwrite')), [
    'unsuspend account <- sf-scope-sales',
    'activate account <- sf-scope-sales',
  ]);
  const starter = salesforce({ startDate: '2026-12-01' });
  assert.deepEqual(lines(planAccountChanges(starter, { ...accountMatching(starter), active: true }, 'overwrite')), ['deactivate account <- sf-scope-sales']);
  assert.match(planAccountChanges(starter, null, 'overwrite')[0]!.reason, /created inactive/);
});

test('leavers: suspend now and remove after the grace period; nothing without an account; blocked targets untouched', () => {
  const leaver = salesforce({ enabled: false });
  const account = { ...accountMatching(salesforce()) };
  const changes = planAccountChanges(leaver, account, 'overwrite');
  assert.deepEqual(changes.map((c) => [c.action, c.reason]), [
    ['suspend', 'out of scope: the account is disabled in the directory'],
    ['remove', 'after the grace period of 30d'],
  ]);
  assert.deepEqual(planAccountChanges(leaver, { ...account, suspended: true }, 'merge').map((c) => c.action), ['remove']);
  assert.deepEqual(planAccountChanges(leaver, null, 'overwrite'), []);
  const blocked = salesforce({ email: undefined });
  assert.equal(blocked.blocked, true);
  assert.deepEqual(planAccountChanges(blocked, account, 'overwrite'), []);
});

test('formatPlan renders every target, conflicts, problems and approvals as stable text', () => {
  const desired = stateFor({ groups: ['sales', 'sales-emea', 'sales-managers', 'salesforce-admins'], familyName: undefined });
  const actual = { hubspot: null, highspot: null, salesforce: null, 'support-desk': null };
  const plan = planPersonFromAccounts(desired, actual, { hubspot: { mode: 'merge' } }, { username: 'jdoe' });
  const text = formatPlan(plan);
  assert.equal(formatPlan(planPersonFromAccounts(desired, actual, { hubspot: { mode: 'merge' } }, { username: 'jdoe' })), text);
  const expected = [
    'Plan for jdoe (anchor a-0001)',
    'hubspot (hubspot, merge): in scope by rule hs-scope-sales',
    '  + create account jane.doe@example.com  [rule hs-scope-sales]',
    '  + grant role "Sales Manager"  [rule hs-sales-manager]',
    '  ! conflict on role: "Sales Manager" from hs-sales-manager wins by priority over "Sales Rep" (hs-sales-rep, priority 0)',
    'salesforce (salesforce, overwrite): in scope by rule sf-scope-sales (sales staff)',
    '  ! not touched until this is resolved: jdoe (anchor a-0001): salesforce attribute Alias is required but "{givenName | ascii | alnum | lower | first:1}{familyName | ascii | alnum | lower | first:7}" renders empty (familyName is empty)',
    'support-desk (scim, overwrite): out of scope: no scope rule matches (employee; rules: sd-scope-support, sd-scope-partner-agents)',
    '  no account, nothing to do',
    'Problems:',
    '  ! salesforce familyName: jdoe (anchor a-0001): salesforce requires familyName but "{familyName}" renders empty',
  ];
  for (const line of expected) assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in:\n${text}`);
  assert.equal(plan.approval, undefined, 'the blocked Salesforce target requests no approval');
  assert.ok(!text.includes('grace period before removal: 7d'), 'no grace-period line for a target the person has nothing in');
});

test('formatPlan shows privileged grants waiting for approval, attribute values and updates', () => {
  const desired = stateFor({ groups: ['salesforce-admins'] });
  const plan = planPersonFromAccounts(desired, {}, {});
  const text = formatPlan(plan);
  for (const line of [
    'Plan for a-0001',
    '  + grant profile "System Administrator" [privileged: needs approval]  [rule sf-admin]',
    '      Alias = "jdoe"',
    '      Division = (empty)',
    '  grace period before removal: 30d',
    'Approval: 2 privileged grant(s) wait for manager a-0100 or a member of idsync-approvers within 3d:',
    '  salesforce permissionSet "Modify_All_Data"  [rule sf-admin]',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in:\n${text}`);
  }
  const sf = desired.targets.find((t) => t.target === 'salesforce')!;
  const account = { ...accountMatching(sf), attributes: { ...sf.account!.attributes, Title: 'Intern' } };
  const updated = formatPlan(planPersonFromAccounts(desired, { salesforce: account }, {}));
  assert.ok(updated.includes('  ~ update attribute Title: "Intern" -> "Account Executive"  [rule sf-scope-admins]'), updated);
});

test('formatPlan tells when the accounts of a future starter appear and when they activate', () => {
  const text = formatPlan(planPersonFromAccounts(stateFor({ startDate: '2027-02-01' }), {}, {}));
  assert.ok(text.includes('  starts 2027-02-01T00:00:00.000Z: accounts wait inactive (or are created) until then, without access\n'), text);
  assert.ok(text.includes('  accounts are pre-created from 2027-01-02T00:00:00.000Z\n'), text);
  assert.ok(text.includes('salesforce (salesforce, overwrite): out of scope until 2027-01-02T00:00:00.000Z'), text);
});
