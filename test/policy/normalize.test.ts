/**
 * Multi-business-unit normalisation (policy.normalize): per directory subtree or per business unit,
 * fields are rewritten through policy.maps before scope and rules run. Uses the example policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDesiredState } from '../../policy/desired-state';
import { normalizePerson } from '../../policy/normalize';
import { DEMO_TARGETS, NOW, examplePolicy, examplePolicyInput, person, policyIssues } from './fixtures';

const globex = (overrides: Parameters<typeof person>[0] = {}) =>
  person({ dn: 'uid=klaus,ou=people,OU=Globex, dc=example,dc=com', department: 'Vertrieb', region: 'DACH', businessUnit: 'Globex Sales GmbH', groups: ['sales', 'sales-emea'], ...overrides });

test('a person below a business unit’s subtree is mapped to the company vocabulary; unmapped values stay', () => {
  const policy = examplePolicy();
  const { person: normal, applied } = normalizePerson(globex({ title: 'Verkäufer' }), policy.normalize, policy.maps);
  assert.deepEqual(applied, ['norm-globex-subtree']);
  assert.equal(normal.department, 'Sales');
  assert.equal(normal.region, 'EMEA');
  assert.equal(normal.businessUnit, 'Globex', 'set outright');
  assert.equal(normal.title, 'Verkäufer', 'no table for titles: kept');
  const elsewhere = normalizePerson(person({ department: 'Vertrieb', region: 'DACH' }), policy.normalize, policy.maps);
  assert.deepEqual(elsewhere.applied, [], 'the main tree is not Globex');
  assert.equal(elsewhere.person.department, 'Vertrieb');
});

test('a business unit’s own names are mapped wherever its people live, case-insensitively', () => {
  const policy = examplePolicy();
  const { person: normal, applied } = normalizePerson(person({ businessUnit: 'initech inc.', department: 'customer care' }), policy.normalize, policy.maps);
  assert.deepEqual(applied, ['norm-initech-bu']);
  assert.equal(normal.department, 'Support');
  assert.equal(normal.businessUnit, 'Initech');
});

test('rules see the normalised values: a Globex seller in "North America" gets the AMER time zone', () => {
  const policy = examplePolicy();
  const zone = (p: ReturnType<typeof person>) => computeDesiredState(p, policy, DEMO_TARGETS, NOW).targets.find((t) => t.target === 'salesforce')?.account?.attributes.TimeZoneSidKey;
  assert.equal(zone(globex({ region: 'North America', groups: ['sales', 'sales-amer'] })), 'America/New_York');
  assert.equal(zone(person({ region: 'AMER', groups: ['sales', 'sales-amer'] })), 'America/New_York');
});

test('config: a section needs subtree or businessUnit, names existing maps only, and uses unique ids', () => {
  const input = examplePolicyInput().policy as Record<string, any>;
  const withSection = (section: unknown) => policyIssues({ ...input, normalize: [...input.normalize, section] });
  assert.ok(withSection({ id: 'norm-nobody', map: { department: 'globexDepartments' } }).some((m) => m.includes('give subtree or businessUnit')));
  assert.ok(withSection({ id: 'norm-typo', businessUnit: 'X', map: { department: 'globexDepartmnets' } }).some((m) => m.startsWith('normalize[2].map.department: map "globexDepartmnets" is not defined')));
  assert.ok(withSection({ id: 'norm-globex-subtree', businessUnit: 'X' }).some((m) => m.includes('already used')));
  assert.ok(withSection({ id: 'norm-field', businessUnit: 'X', map: { salary: 'globexDepartments' } }).some((m) => m.includes('salary')));
});
