import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Person } from '../../domain/person';
import { policyConfigSchema, type PolicyConfig } from '../../policy/config';
import type { PolicyTarget } from '../../policy/desired-state';
import type { TargetKindDescription } from '../../domain/target-kind';
import { highspotDescription } from '../../targets/highspot/description';
import { hubspotDescription } from '../../targets/hubspot/description';
import { salesforceDescription } from '../../targets/salesforce/description';
import { scimDescription } from '../../targets/scim/description';

export const EXAMPLE_POLICY_FILE = join(__dirname, '..', '..', 'config', 'policy.example.yaml');

/** The built-in kinds' descriptions, imported directly (pure data, no adapters or SDKs). */
export const DESCRIPTIONS: Record<string, TargetKindDescription> = Object.fromEntries(
  [salesforceDescription, hubspotDescription, highspotDescription, scimDescription].map((d) => [d.kind, d]),
);

/** One target as activities/provisioning-plan.ts hands it to the policy. */
export function policyTarget(kind: string, gracePeriod: string): PolicyTarget {
  const description = DESCRIPTIONS[kind];
  if (!description) throw new Error(`no description for target kind ${kind}`);
  return { kind, gracePeriod, description };
}

/** The demo targets as app/config.ts would pass them (names from the example policy). */
export const DEMO_TARGETS: Record<string, PolicyTarget> = {
  salesforce: policyTarget('salesforce', '30d'),
  hubspot: policyTarget('hubspot', '14d'),
  highspot: policyTarget('highspot', '30d'),
  'support-desk': policyTarget('scim', '30d'),
};

export const NOW = new Date('2026-11-22T12:00:00Z');

export function examplePolicyInput(): { policy: unknown } {
  return parseYaml(readFileSync(EXAMPLE_POLICY_FILE, 'utf8')) as { policy: unknown };
}

export function examplePolicy(): PolicyConfig {
  return policyConfigSchema.parse(examplePolicyInput().policy);
}

/** Parses a policy written in a test; throws with zod's messages so a bad fixture is obvious. */
export function policy(input: unknown): PolicyConfig {
  return policyConfigSchema.parse(input);
}

/** Messages zod gives for a policy, as "path: message" like app/config.ts prints them. */
export function policyIssues(input: unknown): string[] {
  const result = policyConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[')}: ${i.message}`);
}

export function person(overrides: Partial<Person> = {}): Person {
  return {
    anchor: 'a-0001',
    dn: 'uid=jdoe,ou=people,dc=example,dc=com',
    username: 'jdoe',
    email: 'Jane.Doe@Example.com',
    givenName: 'Jane',
    familyName: 'Doe',
    employeeType: 'employee',
    department: 'Sales',
    title: 'Account Executive',
    region: 'EMEA',
    managerAnchor: 'a-0100',
    enabled: true,
    groups: ['sales', 'sales-emea'],
    extra: {},
    ...overrides,
  };
}
