/**
 * Set-up for bench/directory-latency.ts: a directory of N people in three region groups (5 % also in
 * sales-managers), a Salesforce org that already holds every one of them as policy wants them
 * (anchored by FederationIdentifier, with profile and role), and an idsync configuration whose only
 * target is that org, with the demo configuration's Salesforce budget and the default watcher.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalSlapd } from '../scripts/local-services';
import type { SalesforceSeed } from '../emulators/salesforce/seed';
import { BENCH_LDAP_PASSWORD_ENV, benchDirectory, demoRateLimit } from './bench-config';

export const SUFFIX = 'dc=example,dc=com';
export const PEOPLE_BASE = `ou=people,${SUFFIX}`;
export const GROUPS_BASE = `ou=groups,${SUFFIX}`;
export const TARGET = 'salesforce';
export const CLIENT_ID = 'idsync-bench';
export const BENCH_ENV = { ldapPassword: BENCH_LDAP_PASSWORD_ENV, salesforceSecret: 'BENCH_SALESFORCE_CLIENT_SECRET' } as const;

export const REGIONS = ['EMEA', 'AMER', 'APAC'] as const;
export type Region = (typeof REGIONS)[number];
export const MANAGERS_GROUP = 'sales-managers';
export const regionGroup = (region: Region) => `sales-${region.toLowerCase()}`;
export const groupDn = (name: string) => `cn=${name},${GROUPS_BASE}`;
export const personDn = (uid: string) => `uid=${uid},${PEOPLE_BASE}`;

/** The role policy gives: a region's rep role, or its manager role for members of sales-managers. */
export const roleFor = (region: Region, manager: boolean) => `Sales ${manager ? 'Manager' : 'Rep'} ${region}`;

export interface BenchPerson {
  uid: string;
  region: Region;
  manager: boolean;
}

export const uid = (i: number) => `lat${String(i).padStart(6, '0')}`;
export const mailOf = (uid: string) => `${uid}@example.com`;

export function people(count: number): BenchPerson[] {
  return Array.from({ length: count }, (_, k) => ({ uid: uid(k + 1), region: REGIONS[k % REGIONS.length]!, manager: k % 20 === 0 }));
}

export function personLdif(p: { uid: string }): string {
  return `dn: ${personDn(p.uid)}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\ncn: Bench ${p.uid}\ngivenName: Bench\nsn: ${p.uid}\nmail: ${mailOf(p.uid)}\n`;
}

function groupLdif(name: string, members: string[]): string {
  return `dn: ${groupDn(name)}\nobjectClass: groupOfNames\ncn: ${name}\n${members.map((m) => `member: ${personDn(m)}\n`).join('')}`;
}

export function directoryLdif(everyone: BenchPerson[]): string {
  const groups = [
    ...REGIONS.map((r) => groupLdif(regionGroup(r), everyone.filter((p) => p.region === r).map((p) => p.uid))),
    groupLdif(MANAGERS_GROUP, everyone.filter((p) => p.manager).map((p) => p.uid)),
  ];
  return [...everyone.map(personLdif), ...groups].join('\n');
}

/** The org as idsync would have left it: every person's user, anchored, with the role policy gives. */
export function salesforceSeed(everyone: BenchPerson[], anchors: Map<string, string>): SalesforceSeed {
  return {
    // Explicit: the schema's default orgId (17 characters) fails its own pattern when a parsed seed is parsed again.
    orgId: '00D5e000000BnchEAA',
    userLicenses: { Salesforce: everyone.length * 2 + 100 },
    profiles: [{ name: 'Standard User', license: 'Salesforce' }],
    roles: [{ name: 'CEO' }, ...REGIONS.flatMap((r) => [{ name: roleFor(r, true), parent: 'CEO' }, { name: roleFor(r, false), parent: roleFor(r, true) }])],
    users: everyone.map((p) => ({
      Username: mailOf(p.uid),
      Email: mailOf(p.uid),
      FirstName: 'Bench',
      LastName: p.uid,
      FederationIdentifier: anchors.get(p.uid)!,
      profile: 'Standard User',
      role: roleFor(p.region, p.manager),
    })),
  };
}

function policy() {
  return {
    targets: {
      [TARGET]: {
        scope: [{ id: 'sf-everyone' }],
        birthright: { id: 'sf-birthright', grant: { kind: 'profile', name: 'Standard User' } },
        rules: REGIONS.flatMap((r) => [
          { id: `sf-rep-${r.toLowerCase()}`, when: { groups: [regionGroup(r)] }, grant: { kind: 'role', name: roleFor(r, false) } },
          { id: `sf-manager-${r.toLowerCase()}`, when: { groups: { allOf: [MANAGERS_GROUP, regionGroup(r)] } }, priority: 10, grant: { kind: 'role', name: roleFor(r, true) } },
        ]),
      },
    },
  };
}

/** The Salesforce budget `npm start` runs with (config/demo.yaml). */
export function writeIdsyncConfig(path: string, dir: string, slapd: LocalSlapd, temporalAddress: string, salesforceUrl: string): void {
  const config = {
    temporal: { address: temporalAddress },
    directory: benchDirectory(slapd, { people: PEOPLE_BASE, groups: GROUPS_BASE }),
    // The default watcher: a 2 s poll and a silent baseline (the accounts exist already).
    watcher: { stateDir: join(dir, 'watcher') },
    audit: { path: join(dir, 'audit.log') },
    targets: {
      [TARGET]: {
        kind: 'salesforce',
        loginUrl: salesforceUrl,
        apiVersion: '62.0',
        auth: { flow: 'client_credentials', clientId: CLIENT_ID, clientSecretEnv: BENCH_ENV.salesforceSecret },
        rateLimit: demoRateLimit(TARGET),
      },
    },
    policy: policy(),
    reconcile: { schedule: { enabled: false } },
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
}
