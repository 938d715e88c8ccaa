/**
 * Each target kind describes itself (targets/<kind>/description.ts) and the registry is the one
 * place that knows the kinds. Proven with a throwaway kind registered next to the built-in ones:
 * config validation, the desired state and the plan all use its facts, and nothing falls back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, validateConfig } from '../../app/config';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { computeDesiredState } from '../../policy/desired-state';
import { planAccountChanges } from '../../policy/plan';
import type { AccountState } from '../../domain/account';
import { TARGET_REGISTRY, targetRegistry } from '../../targets/registry';
import { NOW, person, policy } from './fixtures';
import { throwawayDescription } from './support/throwaway-target/description';
import { throwawayTarget } from './support/throwaway-target';

/** The registry line of targets/registry.ts, with the throwaway kind added. */
const registry = targetRegistry([...Object.values(TARGET_REGISTRY.definitions), throwawayTarget]);

const labPolicy = {
  scope: [{ id: 'everyone' }],
  birthright: { id: 'base', grant: [{ kind: 'seat', name: 'B' }, { kind: 'badge', name: 'Gold' }] },
  rules: [
    { id: 'sales-seat', when: { groups: ['sales'] }, grant: { kind: 'seat', name: 'A' } },
    { id: 'emea-seat', when: { groups: ['sales-emea'] }, grant: { kind: 'seat', name: 'C' } },
    { id: 'sales-badge', when: { groups: ['sales'] }, grant: { kind: 'badge', name: 'a' } },
  ],
};

/** config/demo.yaml with its policy inline and a `lab` target of the throwaway kind. */
function demoConfigWithLab(labGrants: unknown = labPolicy): Record<string, any> {
  const configDir = join(PROJECT_ROOT, 'config');
  const text = readFileSync(join(configDir, 'demo.yaml'), 'utf8')
    .replaceAll('${IDSYNC_HOME}', '/tmp/idsync-home')
    .replaceAll('${CONFIG_DIR}', configDir)
    .replace(/\$\{[A-Z_]+_PORT\}/g, '4999');
  const { policyFile: _policyFile, ...raw } = parse(text) as Record<string, any>;
  raw.policy = (parse(readFileSync(join(configDir, 'policy.example.yaml'), 'utf8')) as { policy: Record<string, any> }).policy;
  raw.targets.lab = { kind: 'throwaway', room: 'B-12', gracePeriod: '2d' };
  raw.policy.targets.lab = labGrants;
  return raw;
}

function configProblems(raw: unknown, withRegistry = registry): string[] {
  try {
    validateConfig(raw, 'test', withRegistry);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('config validation: the registered kind’s schema and entitlement kinds apply; without it the kind is refused by name', () => {
  const config = validateConfig(demoConfigWithLab(), 'test', registry);
  assert.deepEqual(config.targets.lab, { ...config.targets.lab, kind: 'throwaway', room: 'B-12' });

  const wrongKind = demoConfigWithLab({ ...labPolicy, rules: [{ id: 'r', grant: { kind: 'role', name: 'Admin' } }] });
  assert.deepEqual(configProblems(wrongKind), [
    'policy.targets.lab.rules[0].grant.kind: "role" is not an entitlement kind of target "lab" (kind throwaway); use one of: seat, badge',
  ]);
  const noRoom = demoConfigWithLab();
  delete noRoom.targets.lab.room;
  assert.deepEqual(configProblems(noRoom).filter((p) => p.startsWith('targets.lab')).length, 1, 'the kind’s own schema checks its block');

  const unknown = configProblems(demoConfigWithLab(), TARGET_REGISTRY);
  assert.equal(unknown.length, 1, unknown.join('\n'));
  assert.match(unknown[0]!, /^targets\.lab\.kind: /);
});

test('desired state: single-valued, subsumed kinds and account field rules come from the kind’s description', () => {
  const targets = { lab: { kind: 'throwaway', gracePeriod: '2d', description: registry.description('throwaway') } };
  const labOnly = policy({ targets: { lab: labPolicy } });
  const state = computeDesiredState(person({ username: 'jdoe', groups: ['sales', 'sales-emea'] }), labOnly, targets, NOW);
  const lab = state.targets[0]!;
  assert.deepEqual(state.problems, []);
  assert.deepEqual(lab.singleValuedKinds, ['seat']);
  assert.equal(lab.account?.username, 'jdoe', 'the kind’s default username template, no email required');
  assert.deepEqual(lab.account?.entitlements.map((e) => `${e.kind}:${e.name}<-${e.rule}`), ['badge:Gold<-base', 'seat:A<-sales-seat'], 'one seat; the badge named like the seat is subsumed');
  assert.deepEqual(lab.conflicts?.map((c) => [c.kind, c.chosen.name, c.overruled.map((o) => o.name)]), [['seat', 'A', ['C']]]);

  const troubled = computeDesiredState(person({ username: 'jdoe-the-longest', givenName: undefined }), labOnly, targets, NOW);
  assert.deepEqual(troubled.problems.map((p) => p.field), ['givenName', 'username']);
  assert.equal(troubled.targets[0]!.blocked, true);
});

test('planning: a grant of a single-valued kind replaces the held one, as the kind describes', () => {
  const targets = { lab: { kind: 'throwaway', gracePeriod: '2d', description: registry.description('throwaway') } };
  const state = computeDesiredState(person({ username: 'jdoe', groups: ['sales'] }), policy({ targets: { lab: labPolicy } }), targets, NOW);
  const held: AccountState = {
    id: 't-1', username: 'jdoe', email: 'jane.doe@example.com', givenName: 'Jane', familyName: 'Doe', anchor: 'a-0001', active: true, attributes: {},
    entitlements: [{ kind: 'seat', name: 'Old' }, { kind: 'badge', name: 'Gold' }, { kind: 'badge', name: 'Silver' }],
  };
  const lines = planAccountChanges(state.targets[0]!, held, 'overwrite').map((c) => `${c.action} ${c.subject} ${String(c.before ?? '')}->${String(c.after ?? '')}`);
  assert.deepEqual(lines, ['grant seat:A Old->A', 'revoke badge:Silver Silver->'], 'seat Old is replaced, not revoked beside the grant');
});

test('the registry refuses an inconsistent or duplicate kind and never falls back for an unknown one', () => {
  assert.throws(() => targetRegistry([throwawayTarget, throwawayTarget]), /"throwaway" is registered twice/);
  const contradictory = { ...throwawayTarget, description: { ...throwawayDescription, singleValuedKinds: ['crown'] } };
  assert.throws(() => targetRegistry([contradictory]), /single-valued kind "crown" is not one of its entitlement kinds/);
  assert.throws(() => registry.description('ldapish'), /unknown target kind "ldapish"; known kinds: salesforce, hubspot, highspot, scim, throwaway/);
});

test('every kind’s adapter declares exactly the entitlement kinds of its description', () => {
  const env = { T: 'token', K: 'key', S: 'secret' };
  const blocks: Record<string, Record<string, unknown>> = {
    salesforce: { loginUrl: 'http://127.0.0.1:9', auth: { flow: 'client_credentials', clientId: 'c', clientSecretEnv: 'S' } },
    hubspot: { accessTokenEnv: 'T', suspendRoleName: 'No Access' },
    highspot: { baseUrl: 'http://127.0.0.1:9/scim/v2', tokenEnv: 'T', restBaseUrl: 'http://127.0.0.1:9/v1.0', apiKeyEnv: 'K', apiSecretEnv: 'S' },
    scim: { baseUrl: 'http://127.0.0.1:9/scim/v2', tokenEnv: 'T' },
    throwaway: { room: 'B-12' },
  };
  for (const kind of registry.kinds) {
    const definition = registry.definition(kind);
    const adapter = definition.createAdapter(`${kind}-x`, definition.configSchema.parse({ kind, ...blocks[kind] }), env);
    assert.deepEqual([adapter.kind, adapter.entitlementKinds], [kind, definition.description.entitlementKinds], kind);
  }
});
