import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Person } from '../../lib/person';
import { policyConfigSchema, type PolicyConfig } from '../../policy/config';

export const EXAMPLE_POLICY_FILE = join(__dirname, '..', '..', 'config', 'policy.example.yaml');

/** The demo targets as lib/config.ts would pass them (names from the example policy). */
export const DEMO_TARGETS = {
  salesforce: { kind: 'salesforce', gracePeriod: '30d' },
  hubspot: { kind: 'hubspot', gracePeriod: '14d' },
  highspot: { kind: 'highspot', gracePeriod: '30d' },
  'support-desk': { kind: 'scim', gracePeriod: '30d' },
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

/** Messages zod gives for a policy, as "path: message" like lib/config.ts prints them. */
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
