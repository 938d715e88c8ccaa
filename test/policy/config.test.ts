import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validatePolicyAgainstCatalog, validatePolicyAgainstTargets } from '../../policy/config';
import { loadConfigFile } from '../../app/config';
import { TARGET_REGISTRY } from '../../targets/registry';
import { DEMO_TARGETS, DESCRIPTIONS, examplePolicy, policy, policyIssues } from './fixtures';

/** Entitlement kinds per target kind, as app/config.ts takes them from the registry's descriptions. */
const KNOWN_ENTITLEMENT_KINDS = Object.fromEntries(Object.values(DESCRIPTIONS).map((d) => [d.kind, d.entitlementKinds]));

const minimalTarget = { scope: [{ id: 'everyone' }] };

test('config/policy.example.yaml validates and matches the demo targets and entitlement kinds', () => {
  const parsed = examplePolicy();
  assert.deepEqual(Object.keys(parsed.targets).sort(), ['highspot', 'hubspot', 'salesforce', 'support-desk']);
  assert.deepEqual(validatePolicyAgainstTargets(parsed, DEMO_TARGETS, KNOWN_ENTITLEMENT_KINDS), []);
  assert.equal(parsed.approvals.deadline, '72h');
  assert.deepEqual(parsed.approvals.approvers.groups, ['idsync-approvers']);
});

test('an empty list is refused with a message saying what to write', () => {
  assert.deepEqual(policyIssues({ targets: { salesforce: { scope: [{ id: 'x', when: { groups: [] } }] } } }), [
    'targets.salesforce.scope[0].when.groups: list at least one group',
  ]);
});

test('a missing policy or targets section says what to write', () => {
  assert.deepEqual(policyIssues(undefined), [': required: the access policy (see config/policy.example.yaml)']);
  assert.deepEqual(policyIssues({}), ['targets: required: one entry per target name, e.g. targets: { salesforce: { scope: [...] } }']);
});

test('defaults fill in approvals, lifecycle and employee types', () => {
  const parsed = policy({ targets: { scim: minimalTarget } });
  assert.deepEqual(parsed.approvals, { approvers: { manager: true, groups: [] }, deadline: '72h' });
  assert.deepEqual(parsed.lifecycle, { startDate: 'startDate', endDate: 'endDate', preCreateInactive: true, gracePeriod: {} });
  assert.deepEqual(parsed.employeeTypes, { default: ['employee'], whenMissing: 'employee' });
  assert.deepEqual(parsed.targets.scim!.rules, []);
  assert.deepEqual(parsed.targets.scim!.exclude, []);
});

test('schema messages point at the field and say how to fix it', () => {
  const issues = policyIssues({
    approvals: { approvers: { manager: false }, deadline: 'three days' },
    lifecycle: { startDate: 'hireDate' },
    targets: {
      salesforce: {
        scope: [{ id: 'sf scope', when: { deparment: 'Sales' } }],
        rules: [{ id: 'r1', grant: { kind: 'profile' } }],
        attributes: { Alias: '{givenName | shout}' },
      },
    },
  });
  const expect = (pattern: RegExp) => assert.ok(issues.some((i) => pattern.test(i)), `expected ${pattern} in:\n${issues.join('\n')}`);
  expect(/^approvals\.approvers: nobody could approve privileged grants: set manager: true or list approver groups$/);
  expect(/^approvals\.deadline: expected a duration such as 72h/);
  expect(/^lifecycle\.startDate: use startDate, endDate or extra\.<attribute>$/);
  expect(/^targets\.salesforce\.scope\[0\]\.id: rule ids are letters, digits/);
  expect(/^targets\.salesforce\.scope\[0\]\.when\.deparment: unknown key; did you mean department\?$/);
  expect(/^targets\.salesforce\.rules\[0\]\.grant\.name: required$/);
  expect(/^targets\.salesforce\.attributes\.Alias: .*unknown filter "shout"/);
});

test('cross-references are checked once the shape is right: a map filter must name a defined map', () => {
  assert.deepEqual(
    policyIssues({
      maps: { regionLocale: { EMEA: 'en_GB' } },
      targets: { salesforce: { scope: [], attributes: { TimeZoneSidKey: { template: '{region | map:tz}', required: true } } } },
    }),
    ['targets.salesforce.attributes.TimeZoneSidKey.template: map "tz" is not defined under policy.maps (defined: regionLocale)'],
  );
});

test('rule ids must be unique across the whole policy', () => {
  const issues = policyIssues({
    targets: {
      hubspot: { scope: [{ id: 'sales' }], rules: [{ id: 'team', grant: { kind: 'primaryTeam', name: 'EMEA' } }] },
      salesforce: { scope: [{ id: 'sales' }], birthright: { id: 'team', grant: { kind: 'profile', name: 'Standard User' } } },
    },
  });
  assert.deepEqual(issues, [
    'targets.salesforce.scope[0].id: rule id "sales" is already used at policy.targets.hubspot.scope[0]; rule ids must be unique',
    'targets.salesforce.birthright.id: rule id "team" is already used at policy.targets.hubspot.rules[0]; rule ids must be unique',
  ]);
});

test('validatePolicyAgainstTargets names unknown targets, missing policies and unsupported kinds', () => {
  const parsed = policy({
    lifecycle: { gracePeriod: { crm: '7d' } },
    targets: {
      hubspot: {
        scope: [{ id: 'hs' }],
        birthright: { id: 'hs-base', grant: [{ kind: 'role', name: 'No Access' }, { kind: 'group', name: 'All' }] },
        rules: [
          { id: 'hs-1', grant: { kind: 'role', name: 'Sales Rep' } },
          { id: 'hs-2', grant: { kind: 'primaryTeam', name: 'EMEA' } },
          { id: 'hs-3', grant: { kind: 'permissionSet', name: 'Sales_Ops' } },
        ],
      },
      crm: { scope: [] },
    },
  });
  const problems = validatePolicyAgainstTargets(parsed, { hubspot: { kind: 'hubspot' }, 'support-desk': { kind: 'scim' } }, KNOWN_ENTITLEMENT_KINDS);
  assert.deepEqual(problems, [
    'policy.targets.crm: no target named "crm" under targets: (configured: hubspot, support-desk)',
    'policy.targets: target "support-desk" has no policy; add policy.targets.support-desk (scope: [] provisions nobody)',
    'policy.lifecycle.gracePeriod.crm: no target named "crm" under targets: (configured: hubspot, support-desk)',
    'policy.targets.hubspot.birthright.grant[1].kind: "group" is not an entitlement kind of target "hubspot" (kind hubspot); use one of: role, primaryTeam, secondaryTeam',
    'policy.targets.hubspot.rules[2].grant.kind: "permissionSet" is not an entitlement kind of target "hubspot" (kind hubspot); use one of: role, primaryTeam, secondaryTeam',
  ]);
});

test('validatePolicyAgainstTargets uses the kinds it is given (the adapters are the authority)', () => {
  const parsed = policy({ targets: { desk: { scope: [], rules: [{ id: 'x', grant: { kind: 'role', name: 'Agent' } }] } } });
  assert.deepEqual(validatePolicyAgainstTargets(parsed, { desk: { kind: 'scim' } }, { scim: ['group', 'role'] }), []);
  assert.deepEqual(validatePolicyAgainstTargets(parsed, { desk: { kind: 'ldapish' } }, KNOWN_ENTITLEMENT_KINDS), [
    'policy.targets.desk.rules[0].grant.kind: target "desk" has kind "ldapish", which declares no entitlement kinds',
  ]);
});

/** The demo catalog the emulators are seeded with, in the shape adapters' listCatalog() returns. */
function demoCatalogs(): Record<string, Record<string, string[]>> {
  type Named = { name: string }[];
  const raw = parseYaml(readFileSync(join(__dirname, '..', '..', 'config', 'demo-catalog.yaml'), 'utf8')) as {
    salesforce: { profiles: Named; roles: Named; permissionSets: Named; permissionSetLicenses: Named; publicGroups: string[] };
    hubspot: { roles: Named; teams: string[] };
    highspot: { groups: string[] };
    scim: { groups: string[] };
  };
  const names = (list: Named) => list.map((e) => e.name);
  return {
    salesforce: {
      profile: names(raw.salesforce.profiles),
      role: names(raw.salesforce.roles),
      permissionSet: names(raw.salesforce.permissionSets),
      permissionSetLicense: names(raw.salesforce.permissionSetLicenses),
      publicGroup: raw.salesforce.publicGroups,
    },
    hubspot: { role: names(raw.hubspot.roles), primaryTeam: raw.hubspot.teams, secondaryTeam: raw.hubspot.teams },
    highspot: { group: raw.highspot.groups },
    'support-desk': { group: raw.scim.groups },
  };
}

test('every entitlement the example policy grants exists in the demo catalog', () => {
  const parsed = examplePolicy();
  const catalogs = demoCatalogs();
  for (const target of Object.keys(DEMO_TARGETS)) {
    assert.deepEqual(validatePolicyAgainstCatalog(parsed, target, catalogs[target]!), [], target);
  }
});

test('validatePolicyAgainstCatalog names the rule and suggests the likely name', () => {
  const parsed = policy({
    targets: {
      salesforce: {
        scope: [],
        birthright: { id: 'b', grant: { kind: 'profile', name: 'standard user' } },
        rules: [
          { id: 'r0', grant: [{ kind: 'role', name: 'Sales Rep EMAE' }, { kind: 'publicGroup', name: 'Whatever' }] },
          { id: 'r1', grant: { kind: 'territory', name: 'North' } },
        ],
      },
    },
  });
  assert.deepEqual(validatePolicyAgainstCatalog(parsed, 'salesforce', demoCatalogs().salesforce!), [
    'policy.targets.salesforce.birthright.grant.name: salesforce has no profile "standard user"; did you mean "Standard User"?',
    'policy.targets.salesforce.rules[0].grant[0].name: salesforce has no role "Sales Rep EMAE"; did you mean "Sales Rep EMEA"?',
    'policy.targets.salesforce.rules[0].grant[1].name: salesforce has no publicGroup "Whatever"',
  ]);
  assert.deepEqual(validatePolicyAgainstCatalog(parsed, 'nowhere', {}), []);
});

test('the registry exposes the descriptions the target folders export, and config/idsync.example.yaml loads with the example policy', () => {
  assert.deepEqual(TARGET_REGISTRY.descriptions, DESCRIPTIONS);
  const config = loadConfigFile(join(__dirname, '..', '..', 'config', 'idsync.example.yaml'));
  assert.deepEqual(Object.keys(config.policy.targets).sort(), Object.keys(config.targets).sort());
});
