import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesCondition, personFacts } from '../../policy/rules';
import type { Condition } from '../../policy/config';
import { person, policy } from './fixtures';

/** Conditions go through the schema first, exactly as they would from a config file. */
function condition(when: unknown): Condition {
  return policy({ targets: { t: { scope: [{ id: 'probe', when }] } } }).targets.t!.scope[0]!.when!;
}
const matches = (when: unknown, overrides = {}) => matchesCondition(personFacts(person(overrides), 'employee'), condition(when));

test('group conditions: a list means any of; allOf and noneOf; names compare case-insensitively', () => {
  assert.equal(matches({ groups: ['marketing', 'SALES'] }), true);
  assert.equal(matches({ groups: ['marketing'] }), false);
  assert.equal(matches({ groups: { allOf: ['sales', 'sales-emea'] } }), true);
  assert.equal(matches({ groups: { allOf: ['sales', 'sales-amer'] } }), false);
  assert.equal(matches({ groups: { anyOf: ['sales'], noneOf: ['sales-emea'] } }), false);
});

test('attribute conditions: value, list, contains, startsWith, noneOf and present; all must hold', () => {
  assert.equal(matches({ department: 'sales', region: ['AMER', 'EMEA'] }), true);
  assert.equal(matches({ department: 'sales', region: 'APAC' }), false, 'every condition must hold');
  assert.equal(matches({ title: { contains: 'EXEC' } }), true);
  assert.equal(matches({ title: { startsWith: 'account', noneOf: ['Account Executive'] } }), false);
  assert.equal(matches({ businessUnit: { present: false } }), true);
  assert.equal(matches({ businessUnit: { present: true } }), false);
  assert.equal(matches({ businessUnit: 'Direct' }), false, 'a missing attribute matches no value');
  assert.equal(matches({ employeeType: 'employee' }, { employeeType: undefined }), true, 'the whenMissing type stands in');
});

test('manager matches the manager anchor or DN', () => {
  assert.equal(matches({ manager: 'a-0100' }), true);
  assert.equal(matches({ manager: 'UID=boss,OU=people,DC=example,DC=com' }, { managerDn: 'uid=boss,ou=people,dc=example,dc=com' }), true);
  assert.equal(matches({ manager: { present: false } }, { managerAnchor: undefined }), true);
});

test('extra attributes: multi-valued values, absent ones, and names that exist on every object', () => {
  const extra = { costCenter: ['CC-7', 'CC-8'], flag: '' };
  assert.equal(matches({ extra: { costCenter: 'cc-8' } }, { extra }), true);
  assert.equal(matches({ extra: { costCenter: { noneOf: ['CC-7'] } } }, { extra }), false);
  assert.equal(matches({ extra: { flag: { present: true } } }, { extra }), false, 'an empty value is absent');
  assert.equal(matches({ extra: { valueOf: { present: true } } }, { extra }), false);
  assert.equal(matches({ extra: { toString: 'x' } }, { extra }), false);
});

test('the schema refuses empty or unknown conditions with a useful message', () => {
  assert.throws(() => condition({ groups: {} }), /give anyOf, allOf or noneOf/);
  assert.throws(() => condition({ title: {} }), /give at least one of anyOf, noneOf, contains, startsWith, present/);
  assert.throws(() => condition({ title: { like: 'x' } }), /"like"\s*\],\s*"message": "unknown key; allowed here: anyOf, noneOf, contains, startsWith, present"/);
  assert.throws(() => condition({ region: 5 }), /expected a value, a list of values, or \{ anyOf, noneOf, contains, startsWith, present \}/);
});
