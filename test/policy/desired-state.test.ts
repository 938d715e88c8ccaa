import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDesiredState, outOfScopeEverywhere } from '../../policy/desired-state';
import type { DesiredState, DesiredTargetState } from '../../policy/types';
import { DEMO_TARGETS, NOW, examplePolicy, person, policy, policyTarget } from './fixtures';

const example = examplePolicy();
const desired = (overrides = {}, now = NOW) => computeDesiredState(person(overrides), example, DEMO_TARGETS, now);
const targetOf = (state: DesiredState, name: string): DesiredTargetState => {
  const found = state.targets.find((t) => t.target === name);
  assert.ok(found, `no state for target ${name}`);
  return found;
};
const grants = (t: DesiredTargetState) => (t.account?.entitlements ?? []).map((e) => `${e.kind}:${e.name}<-${e.rule}${e.privileged ? '!' : ''}`);

test('targets come in name order with their kind and grace period (policy override beats target config)', () => {
  const state = desired();
  assert.deepEqual(state.targets.map((t) => [t.target, t.targetKind, t.gracePeriodMs]), [
    ['highspot', 'highspot', 30 * 86_400_000],
    ['hubspot', 'hubspot', 14 * 86_400_000],
    ['salesforce', 'salesforce', 30 * 86_400_000],
    ['support-desk', 'scim', 7 * 86_400_000],
  ]);
});

test('scoping by group: a sales rep is in Salesforce, HubSpot and Highspot but not the support desk', () => {
  const state = desired();
  assert.deepEqual(state.targets.map((t) => [t.target, t.inScope, t.scopeRule]), [
    ['highspot', true, 'hsp-scope-employees'],
    ['hubspot', true, 'hs-scope-sales'],
    ['salesforce', true, 'sf-scope-sales'],
    ['support-desk', false, undefined],
  ]);
  assert.match(targetOf(state, 'salesforce').scopeReason, /^in scope by rule sf-scope-sales \(sales staff\)$/);
  assert.match(targetOf(state, 'support-desk').scopeReason, /no scope rule matches \(employee; rules: sd-scope-support, sd-scope-partner-agents\)/);
  assert.deepEqual(state.problems, []);
});

test('birthright, group rules and attribute rules combine, sorted by kind then name, each with its rule', () => {
  const sf = targetOf(desired(), 'salesforce');
  assert.deepEqual(grants(sf), [
    'profile:Standard User<-sf-birthright',
    'publicGroup:All Sales<-sf-sales-all',
    'publicGroup:Sales EMEA<-sf-sales-emea',
    'role:Sales Rep EMEA<-sf-sales-emea',
  ]);
  assert.equal(sf.account!.active, true);
  assert.equal(sf.conflicts, undefined);
  const desk = targetOf(desired({ groups: ['support', 'support-leads'], title: 'Support Manager', department: 'Support' }), 'support-desk');
  assert.deepEqual(grants(desk), ['group:Admins<-sd-admins!', 'group:Agents<-sd-birthright', 'group:Team Leads<-sd-team-leads']);
  const lead = targetOf(desired({ groups: ['support', 'support-leads'], title: 'Team Lead', department: 'Support' }), 'support-desk');
  assert.deepEqual(grants(lead), ['group:Agents<-sd-birthright', 'group:Team Leads<-sd-team-leads'], 'the title condition keeps Admins out');
});

test('exclude rules win over scope rules', () => {
  const desk = targetOf(desired({ groups: ['support'], department: 'finance' }), 'support-desk');
  assert.equal(desk.inScope, false);
  assert.equal(desk.scopeRule, 'sd-exclude-finance');
  assert.match(desk.scopeReason, /excluded by rule sd-exclude-finance/);
});

test('privileged grants are marked and collected for approval by the manager or approver groups', () => {
  const state = desired({ groups: ['salesforce-admins'], department: 'Engineering' });
  const sf = targetOf(state, 'salesforce');
  assert.deepEqual(grants(sf), ['permissionSet:Modify_All_Data<-sf-admin!', 'profile:System Administrator<-sf-admin!']);
  assert.deepEqual(state.approval, {
    requestedFor: 'a-0001',
    managerAnchor: 'a-0100',
    approverGroups: ['idsync-approvers'],
    deadlineMs: 72 * 3_600_000,
    grants: [
      { target: 'salesforce', kind: 'permissionSet', name: 'Modify_All_Data', rule: 'sf-admin' },
      { target: 'salesforce', kind: 'profile', name: 'System Administrator', rule: 'sf-admin' },
    ],
  });
  assert.equal(desired().approval, undefined, 'no privileged grant, no approval');
  const ownManager = desired({ groups: ['salesforce-admins'], managerAnchor: 'a-0001' });
  assert.equal(ownManager.approval?.managerAnchor, undefined, 'a person recorded as their own manager cannot approve');
});

test('single-valued kinds: priority decides, then rule order, and both are reported', () => {
  const manager = targetOf(desired({ groups: ['sales', 'sales-emea', 'sales-managers'] }), 'salesforce');
  assert.ok(grants(manager).includes('role:Sales Manager EMEA<-sf-sales-manager-emea'));
  assert.ok(!grants(manager).some((g) => g.startsWith('role:Sales Rep')));
  assert.deepEqual(manager.conflicts, [
    { kind: 'role', chosen: { name: 'Sales Manager EMEA', rule: 'sf-sales-manager-emea' }, overruled: [{ name: 'Sales Rep EMEA', rule: 'sf-sales-emea', priority: 0 }], resolvedBy: 'priority' },
  ]);
  const both = targetOf(desired({ groups: ['sales', 'sales-emea', 'marketing'] }), 'hubspot');
  assert.ok(grants(both).includes('primaryTeam:EMEA<-hs-team-emea'), 'hs-team-emea is listed before hs-team-marketing');
  assert.deepEqual(
    both.conflicts?.map((c) => [c.kind, c.chosen.name, c.overruled.map((o) => o.name), c.resolvedBy]),
    [
      ['primaryTeam', 'EMEA', ['Marketing'], 'order'],
      ['role', 'Sales Rep', ['Marketing Contributor'], 'order'],
    ],
  );
});

test('birthright is the fallback for single-valued kinds and never reported as a conflict', () => {
  const marketer = targetOf(desired({ groups: ['marketing'], department: 'Marketing' }), 'salesforce');
  assert.ok(grants(marketer).includes('profile:Marketing User<-sf-marketing'));
  assert.ok(!grants(marketer).includes('profile:Standard User<-sf-birthright'));
  assert.equal(marketer.conflicts, undefined);
});

test('the same grant from two rules appears once, privileged if either says so, attributed by precedence', () => {
  const p = policy({
    targets: {
      desk: {
        scope: [{ id: 's' }],
        birthright: { id: 'base', grant: { kind: 'group', name: 'Agents' } },
        rules: [
          { id: 'low', when: { groups: ['a'] }, grant: { kind: 'group', name: 'agents' } },
          { id: 'high', when: { groups: ['b'] }, priority: 5, grant: { kind: 'group', name: 'Agents', privileged: true } },
        ],
      },
    },
  });
  const state = computeDesiredState(person({ groups: ['b', 'a'] }), p, { desk: policyTarget('scim', '1d') }, NOW);
  assert.deepEqual(state.targets[0]!.account!.entitlements, [{ kind: 'group', name: 'Agents', privileged: true, rule: 'high' }]);
});

test('HubSpot: a secondary team equal to the primary team is dropped (HubSpot lists it only once)', () => {
  const p = policy({
    targets: {
      hubspot: {
        scope: [{ id: 'hs' }],
        rules: [
          { id: 'primary', grant: { kind: 'primaryTeam', name: 'EMEA' } },
          { id: 'secondary', grant: [{ kind: 'secondaryTeam', name: 'emea' }, { kind: 'secondaryTeam', name: 'Sales Leadership' }] },
        ],
      },
    },
  });
  const state = computeDesiredState(person(), p, { hubspot: policyTarget('hubspot', '1d') }, NOW);
  assert.deepEqual(grants(state.targets[0]!), ['primaryTeam:EMEA<-primary', 'secondaryTeam:Sales Leadership<-secondary']);
  const asScim = computeDesiredState(person(), { ...p, targets: { desk: p.targets.hubspot! } }, { desk: policyTarget('scim', '1d') }, NOW);
  assert.equal(asScim.targets[0]!.account!.entitlements.length, 3, 'other kinds keep both');
});

test('contractors and partners only get in through rules written for them', () => {
  const contractor = { employeeType: 'contractor', groups: ['sales', 'sales-emea', 'highspot-users'], endDate: '2027-03-31' };
  const state = desired(contractor);
  const sf = targetOf(state, 'salesforce');
  assert.equal(sf.scopeRule, 'sf-scope-sales-contractors');
  assert.ok(grants(sf).includes('profile:Read Only<-sf-contractor-read-only'));
  assert.equal(targetOf(state, 'hubspot').inScope, false, 'no HubSpot rule admits contractors');
  assert.equal(targetOf(state, 'highspot').scopeRule, 'hsp-scope-contractors');
  assert.deepEqual(grants(targetOf(state, 'highspot')), ['group:Sales - EMEA<-hsp-sales-emea'], 'All Employees is for employees only');
  assert.equal(state.leaveAt, '2027-04-01T00:00:00.000Z', 'a date-only leave date is the last working day');

  const partner = desired({ employeeType: 'partner', groups: ['support'], department: 'Support', endDate: '2027-01-31' });
  assert.equal(targetOf(partner, 'support-desk').scopeRule, 'sd-scope-partner-agents');
  assert.deepEqual(partner.targets.filter((t) => t.inScope).map((t) => t.target), ['support-desk']);
});

test('a scope rule that requires a leave date blocks that target only, with a problem naming the person', () => {
  const state = desired({ employeeType: 'contractor', groups: ['sales', 'highspot-users'] });
  assert.deepEqual(state.problems, [
    { target: 'highspot', field: 'endDate', message: 'jdoe (anchor a-0001): scope rule hsp-scope-contractors of target highspot requires a leave date and there is none' },
    { target: 'salesforce', field: 'endDate', message: 'jdoe (anchor a-0001): scope rule sf-scope-sales-contractors of target salesforce requires a leave date and there is none' },
  ]);
  assert.deepEqual([targetOf(state, 'salesforce').blocked, targetOf(state, 'salesforce').inScope, targetOf(state, 'salesforce').account], [true, true, undefined]);
});

test('attribute mapping: Salesforce username, alias, time zone map and empty optional attributes', () => {
  const sf = targetOf(desired({ username: 'Zoë.Ångström', givenName: 'Zoë', familyName: 'Ångström', region: 'APAC', businessUnit: undefined, employeeId: 'E-42' }), 'salesforce');
  assert.equal(sf.account!.username, 'zoe.angstrom@corp.example.com');
  assert.equal(sf.account!.email, 'jane.doe@example.com');
  assert.deepEqual(sf.account!.attributes, {
    Alias: 'zangstro',
    CommunityNickname: 'zoe.angstrom',
    Department: 'Sales',
    Division: null,
    EmailEncodingKey: 'UTF-8',
    EmployeeNumber: 'E-42',
    LanguageLocaleKey: 'en_US',
    LocaleSidKey: 'en_SG',
    TimeZoneSidKey: 'Asia/Singapore',
    Title: 'Account Executive',
  });
  assert.equal(targetOf(desired({ region: 'Mars' }), 'salesforce').account!.attributes.TimeZoneSidKey, 'Europe/London', 'default: covers an unmapped region');
  assert.equal(targetOf(desired(), 'highspot').account!.username, 'jane.doe@example.com', 'email-login targets default to the lower-cased email');
});

test('no email: a problem per target that needs one, and those targets are blocked', () => {
  const state = desired({ email: undefined });
  assert.deepEqual(
    state.problems.map((p) => [p.target, p.field]),
    [
      ['highspot', 'email'],
      ['highspot', 'username'],
      ['hubspot', 'email'],
      ['hubspot', 'username'],
      ['salesforce', 'email'],
    ],
  );
  assert.match(state.problems[0]!.message, /^jdoe \(anchor a-0001\): no email for target highspot \(the directory has no email for them\)$/);
  assert.ok(state.targets.filter((t) => t.inScope).every((t) => t.blocked && !t.account));
});

test('an invalid email or a missing required attribute blocks only the targets that need it', () => {
  const bad = desired({ email: 'jane.doe@localhost' });
  assert.ok(bad.problems.some((p) => p.target === 'salesforce' && p.field === 'email' && /email "jane\.doe@localhost" is not a valid address, needed by target salesforce/.test(p.message)));
  const noFamilyName = desired({ familyName: undefined });
  assert.deepEqual(noFamilyName.problems.map((p) => [p.target, p.field]), [
    ['salesforce', 'attributes.Alias'],
    ['salesforce', 'familyName'],
  ]);
  assert.equal(targetOf(noFamilyName, 'salesforce').blocked, true);
  assert.equal(targetOf(noFamilyName, 'hubspot').blocked, undefined, 'other targets proceed');
  assert.ok(targetOf(noFamilyName, 'hubspot').account);
});

test('a username that cannot be derived is a problem for that target only', () => {
  const state = desired({ username: '' });
  assert.deepEqual(state.problems.map((p) => [p.target, p.field]), [['salesforce', 'username']]);
  assert.match(state.problems[0]!.message, /^\(no username\) \(anchor a-0001\): cannot derive the salesforce username from "\{username \| ascii \| lower\}@corp\.example\.com" \(username is empty\)$/);
});

test('disabled people and people whose leave date has passed are out of scope everywhere', () => {
  for (const [overrides, reason] of [
    [{ enabled: false }, /disabled in the directory/],
    [{ endDate: '2026-11-21' }, /leave date 2026-11-21 has passed/],
    [{ endDate: '2026-11-22T11:59:59Z' }, /has passed/],
  ] as const) {
    const state = desired(overrides);
    assert.ok(state.targets.every((t) => !t.inScope && reason.test(t.scopeReason)), JSON.stringify(overrides));
    assert.equal(state.approval, undefined);
    assert.equal(state.leaveAt, undefined);
  }
  assert.equal(desired({ enabled: false, endDate: '2027-01-31' }).reevaluateAt, undefined, 'nothing changes for someone already out');
  const lastDay = desired({ endDate: '2026-11-22' });
  assert.equal(targetOf(lastDay, 'salesforce').inScope, true, 'the leave date itself is still a working day');
  assert.equal(lastDay.leaveAt, '2026-11-23T00:00:00.000Z');
  assert.equal(lastDay.reevaluateAt, '2026-11-23T00:00:00.000Z');
  assert.equal(desired().reevaluateAt, undefined);
});

test('future start: accounts are pre-created inactive within the window, later starters wait', () => {
  const soon = desired({ startDate: '2026-12-01' });
  assert.equal(soon.activateAt, '2026-12-01T00:00:00.000Z');
  const sf = targetOf(soon, 'salesforce');
  assert.equal(sf.inScope, true);
  assert.equal(sf.account!.active, false);
  assert.match(sf.scopeReason, /pre-created inactive until 2026-12-01/);
  const later = desired({ startDate: '2027-02-01' });
  assert.equal(later.activateAt, '2027-02-01T00:00:00.000Z');
  assert.ok(later.targets.every((t) => !t.inScope));
  assert.match(
    targetOf(later, 'salesforce').scopeReason,
    /^out of scope until 2027-01-02T00:00:00\.000Z \(pre-created 30d before the start date 2027-02-01\): in scope by rule sf-scope-sales/,
  );
  assert.equal(later.reevaluateAt, '2027-01-02T00:00:00.000Z', 'wake up when the pre-create window opens');
  assert.equal(soon.reevaluateAt, '2026-12-01T00:00:00.000Z', 'already pre-created: wake up at the start');
  const started = desired({ startDate: '2026-11-22' });
  assert.equal(started.activateAt, undefined);
  assert.equal(targetOf(started, 'salesforce').account!.active, true);
  const noPreCreate = policy({ ...example, lifecycle: { ...example.lifecycle, preCreateInactive: false } });
  const waiting = computeDesiredState(person({ startDate: '2026-12-01' }), noPreCreate, DEMO_TARGETS, NOW);
  assert.ok(waiting.targets.every((t) => !t.inScope));
  assert.match(waiting.targets[0]!.scopeReason, /^out of scope until the start date 2026-12-01: /);
  assert.equal(waiting.reevaluateAt, '2026-12-01T00:00:00.000Z');
});

test('a future joiner whose directory entry stays disabled until the start is pre-created, not treated as a leaver', () => {
  const joiner = desired({ enabled: false, startDate: '2026-12-01' });
  assert.equal(targetOf(joiner, 'salesforce').account?.active, false);
  assert.equal(joiner.activateAt, '2026-12-01T00:00:00.000Z');
  const stillDisabled = desired({ enabled: false, startDate: '2026-12-01' }, new Date('2026-12-01T00:00:00Z'));
  assert.ok(stillDisabled.targets.every((t) => !t.inScope), 'on the start date the disabled flag counts again');
});

test('an unreadable date blocks every in-scope target with a problem', () => {
  const state = desired({ startDate: '2026-02-30' });
  assert.deepEqual([...new Set(state.problems.map((p) => `${p.target}:${p.field}`))], ['highspot:startDate', 'hubspot:startDate', 'salesforce:startDate']);
  assert.match(state.problems[0]!.message, /start date "2026-02-30" is not a date/);
  assert.ok(state.targets.filter((t) => t.inScope).every((t) => t.blocked));
});

test('deterministic: same input gives deep-equal output, and group order does not matter', () => {
  const groups = ['sales', 'sales-emea', 'sales-managers', 'marketing', 'salesforce-admins', 'hubspot-users'];
  const first = desired({ groups });
  assert.deepEqual(desired({ groups }), first);
  assert.deepEqual(desired({ groups: [...groups].reverse() }), first);
  assert.deepEqual(desired({ groups: groups.map((g) => g.toUpperCase()) }), first, 'group names compare case-insensitively');
  assert.equal(JSON.stringify(desired({ groups: [...groups].reverse() })), JSON.stringify(first), 'even key order is stable');
});

test('a configured target without a policy section is out of scope with a reason saying so', () => {
  const state = computeDesiredState(person(), example, { ...DEMO_TARGETS, crm: policyTarget('scim', '1d') }, NOW);
  assert.match(targetOf(state, 'crm').scopeReason, /the policy has no section for this target/);
});

test('someone gone from the directory is out of scope everywhere, with the same grace periods', () => {
  const gone = outOfScopeEverywhere('a-0001', example, DEMO_TARGETS, 'the person is no longer in the directory');
  assert.deepEqual(gone, {
    anchor: 'a-0001',
    problems: [],
    targets: desired({ enabled: false }).targets.map((t) => ({ ...t, scopeReason: 'out of scope: the person is no longer in the directory' })),
  });
});

test('dates: ISO timestamps with an offset and LDAP GeneralizedTime are read; impossible dates are problems', () => {
  assert.equal(desired({ startDate: '2026-12-01T09:00:00+01:00' }).activateAt, '2026-12-01T08:00:00.000Z');
  assert.equal(desired({ extra: { hireDate: '20261201000000Z' } }).activateAt, undefined, 'extra dates count only when configured');
  const fromExtra = policy({ ...example, lifecycle: { ...example.lifecycle, startDate: 'extra.hireDate' } });
  const state = computeDesiredState(person({ extra: { hireDate: '20261201080000Z' } }), fromExtra, DEMO_TARGETS, NOW);
  assert.equal(state.activateAt, '2026-12-01T08:00:00.000Z');
  for (const bad of ['2026-02-30T10:00:00Z', '20260230000000Z', '2026-12-01T10:00:00', 'next monday']) {
    assert.ok(desired({ startDate: bad }).problems.some((p) => p.field === 'startDate'), bad);
  }
});

test('rehire: a leave date from an earlier employment (before the new start) is ignored', () => {
  const rehired = desired({ startDate: '2026-11-20', endDate: '2025-06-30' });
  assert.equal(targetOf(rehired, 'salesforce').inScope, true);
  assert.equal(rehired.leaveAt, undefined);
  const returning = desired({ startDate: '2026-12-01', endDate: '2025-06-30' });
  assert.equal(targetOf(returning, 'salesforce').account?.active, false, 'pre-created inactive for the new start');
  const contractor = desired({ employeeType: 'contractor', groups: ['sales'], startDate: '2026-11-01', endDate: '2026-10-31' });
  assert.equal(targetOf(contractor, 'salesforce').blocked, true, 'the stale leave date does not satisfy requireEndDate');
});
