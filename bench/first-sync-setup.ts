/**
 * Set-up for bench/first-sync.ts: the directory of bench/directory-latency-setup.ts (people in three
 * region groups, 5 % managers), empty Salesforce, HubSpot and Highspot emulators with the catalog the
 * policy names, and an idsync configuration with the three targets at the demo configuration's
 * budgets and `baseline: joiners` (the first poll starts a joiner for everyone).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalSlapd } from '../scripts/local-services';
import type { SalesforceSeed } from '../emulators/salesforce/seed';
import type { HighspotSeed } from '../emulators/highspot/seed';
import { GROUPS_BASE, MANAGERS_GROUP, PEOPLE_BASE, REGIONS, regionGroup, roleFor } from './directory-latency-setup';
import { BENCH_LDAP_PASSWORD_ENV, benchDirectory, demoRateLimit } from './bench-config';

export const TARGETS = ['salesforce', 'hubspot', 'highspot'] as const;
export const SALESFORCE_CLIENT_ID = 'idsync-bench';
export const BENCH_ENV = {
  ldapPassword: BENCH_LDAP_PASSWORD_ENV,
  salesforceSecret: 'BENCH_SALESFORCE_CLIENT_SECRET',
  hubspotToken: 'BENCH_HUBSPOT_TOKEN',
  highspotScimToken: 'BENCH_HIGHSPOT_SCIM_TOKEN',
  highspotApiKey: 'BENCH_HIGHSPOT_API_KEY',
  highspotApiSecret: 'BENCH_HIGHSPOT_API_SECRET',
} as const;

const highspotGroup = (region: string) => `Sales - ${region}`;

export function salesforceSeed(people: number): SalesforceSeed {
  return {
    orgId: '00D5e000000BnchEAA',
    userLicenses: { Salesforce: people * 2 + 100 },
    profiles: [{ name: 'Standard User', license: 'Salesforce' }],
    roles: [{ name: 'CEO' }, ...REGIONS.flatMap((r) => [{ name: roleFor(r, true), parent: 'CEO' }, { name: roleFor(r, false), parent: roleFor(r, true) }])],
  };
}

export const HIGHSPOT_SEED: HighspotSeed = { groups: ['All Employees', ...REGIONS.map(highspotGroup), 'Sales Managers'] };

/** Every person in scope of all three targets: a role per region (manager or rep), teams and groups to match. */
function policy() {
  const byRegion = <T>(make: (region: (typeof REGIONS)[number]) => T[]) => REGIONS.flatMap(make);
  return {
    targets: {
      salesforce: {
        scope: [{ id: 'sf-everyone' }],
        birthright: { id: 'sf-birthright', grant: { kind: 'profile', name: 'Standard User' } },
        rules: byRegion((r) => [
          { id: `sf-rep-${r}`, when: { groups: [regionGroup(r)] }, grant: { kind: 'role', name: roleFor(r, false) } },
          { id: `sf-manager-${r}`, when: { groups: { allOf: [MANAGERS_GROUP, regionGroup(r)] } }, priority: 10, grant: { kind: 'role', name: roleFor(r, true) } },
        ]),
      },
      hubspot: {
        scope: [{ id: 'hs-everyone' }],
        rules: [
          { id: 'hs-rep', when: { groups: { noneOf: [MANAGERS_GROUP] } }, grant: { kind: 'role', name: 'Sales Rep' } },
          { id: 'hs-manager', when: { groups: [MANAGERS_GROUP] }, grant: { kind: 'role', name: 'Sales Manager' } },
          ...byRegion((r) => [{ id: `hs-team-${r}`, when: { groups: [regionGroup(r)] }, grant: { kind: 'primaryTeam', name: r } }]),
        ],
      },
      highspot: {
        scope: [{ id: 'hsp-everyone' }],
        rules: [
          { id: 'hsp-all', grant: { kind: 'group', name: 'All Employees' } },
          { id: 'hsp-managers', when: { groups: [MANAGERS_GROUP] }, grant: { kind: 'group', name: 'Sales Managers' } },
          ...byRegion((r) => [{ id: `hsp-${r}`, when: { groups: [regionGroup(r)] }, grant: { kind: 'group', name: highspotGroup(r) } }]),
        ],
      },
    },
  };
}

export interface TargetUrls {
  salesforce: string;
  hubspot: string;
  highspotScim: string;
  highspotRest: string;
}

export function writeIdsyncConfig(path: string, dir: string, slapd: LocalSlapd, temporalAddress: string, urls: TargetUrls): void {
  const config = {
    temporal: { address: temporalAddress },
    directory: benchDirectory(slapd, { people: PEOPLE_BASE, groups: GROUPS_BASE }),
    // The demo's first start: everyone already in the directory is a joiner.
    watcher: { stateDir: join(dir, 'watcher'), baseline: 'joiners' },
    audit: { path: join(dir, 'audit.log') },
    targets: {
      salesforce: {
        kind: 'salesforce',
        loginUrl: urls.salesforce,
        apiVersion: '62.0',
        auth: { flow: 'client_credentials', clientId: SALESFORCE_CLIENT_ID, clientSecretEnv: BENCH_ENV.salesforceSecret },
        rateLimit: demoRateLimit('salesforce'),
      },
      hubspot: { kind: 'hubspot', basePath: urls.hubspot, accessTokenEnv: BENCH_ENV.hubspotToken, suspendRoleName: 'No Access', rateLimit: demoRateLimit('hubspot') },
      highspot: {
        kind: 'highspot',
        baseUrl: urls.highspotScim,
        tokenEnv: BENCH_ENV.highspotScimToken,
        restBaseUrl: urls.highspotRest,
        apiKeyEnv: BENCH_ENV.highspotApiKey,
        apiSecretEnv: BENCH_ENV.highspotApiSecret,
        userNameAttribute: 'email',
        rateLimit: demoRateLimit('highspot'),
      },
    },
    policy: policy(),
    reconcile: { schedule: { enabled: false } },
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
}
