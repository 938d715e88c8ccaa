/**
 * Set-up for bench/hubspot-bulk.ts: the HubSpot emulator in a process of its own (so its CPU is not
 * idsync's), the people as LDIF for slapd, and an idsync configuration whose only target is that
 * emulator, with the demo configuration's HubSpot budget.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, freePort, stopChild, type LocalSlapd } from '../scripts/local-services';
import { EMULATOR_ADMIN_PREFIX } from '../emulators/faults';
import { DEFAULT_HUBSPOT_SEED } from '../emulators/hubspot/seed';
import type { HubspotEmulatorStats } from '../emulators/hubspot';
import { BENCH_LDAP_PASSWORD_ENV, benchDirectory } from './bench-config';

export const SUFFIX = 'dc=example,dc=com';
export const TARGET = 'hubspot';

/** Departments and the HubSpot access the bench policy gives them: a role, a primary and a secondary team. */
const DEPARTMENTS = [
  { name: 'Sales EMEA', role: 'Sales Rep', primaryTeam: 'EMEA', secondaryTeam: 'AMER' },
  { name: 'Sales AMER', role: 'Sales Rep', primaryTeam: 'AMER', secondaryTeam: 'APAC' },
  { name: 'Sales Leadership', role: 'Sales Manager', primaryTeam: 'APAC', secondaryTeam: 'Sales Leadership' },
  { name: 'Marketing', role: 'Marketing Contributor', primaryTeam: 'Marketing', secondaryTeam: 'EMEA' },
];

export const uid = (i: number) => `bench${String(i).padStart(5, '0')}`;

export function peopleLdif(count: number): string {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return (
      `dn: uid=${uid(i)},ou=people,${SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${uid(i)}\ncn: Bench User ${i}\ngivenName: Bench\nsn: User ${i}\n` +
      `mail: ${uid(i)}@example.com\ndepartmentNumber: ${DEPARTMENTS[i % DEPARTMENTS.length]!.name}\n`
    );
  }).join('\n');
}

function policy() {
  return {
    targets: {
      hubspot: {
        scope: [{ id: 'hs-everyone' }],
        rules: DEPARTMENTS.map((d, i) => ({
          id: `hs-department-${i}`,
          when: { department: d.name },
          grant: [
            { kind: 'role', name: d.role },
            { kind: 'primaryTeam', name: d.primaryTeam },
            { kind: 'secondaryTeam', name: d.secondaryTeam },
          ],
        })),
      },
    },
  };
}

export const BENCH_ENV = { ldapPassword: BENCH_LDAP_PASSWORD_ENV, hubspotToken: 'BENCH_HUBSPOT_TOKEN' } as const;

export function writeIdsyncConfig(path: string, dir: string, slapd: LocalSlapd, temporalAddress: string, hubspotUrl: string, rateLimit: { activitiesPerSecond: number; maxConcurrent: number }): void {
  const config = {
    temporal: { address: temporalAddress },
    directory: benchDirectory(slapd, { people: `ou=people,${SUFFIX}` }),
    watcher: { pollInterval: '2s', stateDir: join(dir, 'watcher'), baseline: 'silent' },
    audit: { path: join(dir, 'audit.log') },
    targets: { [TARGET]: { kind: 'hubspot', basePath: hubspotUrl, accessTokenEnv: BENCH_ENV.hubspotToken, suspendRoleName: 'No Access', rateLimit } },
    policy: policy(),
    reconcile: { schedule: { enabled: false } },
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
}

export interface HubspotState {
  rateLimit: { max: number; intervalMs: number; remaining: number };
  stats: HubspotEmulatorStats;
  users: { email: string; roleId?: string; primaryTeamId?: string; secondaryTeamIds?: string[] }[];
}

export interface HubspotProcess {
  url: string;
  state(): Promise<HubspotState>;
  close(): Promise<void>;
}

/** emulators/hubspot/main.ts at the professional tier's real limit (190 requests per rolling 10 s), no users. */
export async function startHubspotProcess(dir: string, token: string): Promise<HubspotProcess> {
  const seedPath = join(dir, 'hubspot-seed.json');
  writeFileSync(seedPath, JSON.stringify({ ...DEFAULT_HUBSPOT_SEED, users: [] }));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'emulators/hubspot/main.ts'), '--port', String(port), '--tier', 'professional', '--seed', seedPath, '--token-env', 'BENCH_HUBSPOT_TOKENS'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, BENCH_HUBSPOT_TOKENS: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening on (\S+)/.exec(output);
      if (listening) resolve(listening[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hubspot emulator exited with ${code}: ${output}`)));
  });
  return {
    url,
    async state() {
      const res = await fetch(`${url}${EMULATOR_ADMIN_PREFIX}/state`);
      if (!res.ok) throw new Error(`hubspot emulator /state answered ${res.status}`);
      return (await res.json()) as HubspotState;
    },
    close: () => stopChild(child, 5000),
  };
}
