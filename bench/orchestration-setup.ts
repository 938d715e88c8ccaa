/**
 * Set-up for bench/orchestration.ts: the emulators (each in a process of its own, rate limits
 * lifted), the recording proxy in front of them, the people as LDIF, the idsync configuration whose
 * targets are the proxy's ports, and CPU time of a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, stopChild, type LocalSlapd } from '../scripts/local-services';
import { DEFAULT_HUBSPOT_SEED } from '../emulators/hubspot/seed';
import { spawnEmulator, type EmulatorProcess } from '../emulators/scim/process';
import { SCIM_TOKEN_ENV } from '../emulators/scim/seed';
import { HIGHSPOT_ENV } from '../emulators/highspot/seed';
import { HIGHSPOT_REST, HIGHSPOT_SCIM } from '../targets/highspot/assumed-contract';
import { BENCH_LDAP_PASSWORD_ENV, benchDirectory } from './bench-config';

export const SUFFIX = 'dc=example,dc=com';
export const TARGETS = ['hubspot', 'scim', 'highspot'] as const;
export type BenchTarget = (typeof TARGETS)[number];

/** Lifted for this bench: the queues never hold an activity back, so only idsync's own work is measured. */
export const LIFTED_RATE_LIMIT = { activitiesPerSecond: 10_000, maxConcurrent: 16 };
/** The directory queue's slots in workers/workers.ts; the baseline's directory queue gets the same. */
export const DIRECTORY_SLOTS = 8;

export const BENCH_ENV = {
  ldapPassword: BENCH_LDAP_PASSWORD_ENV,
  hubspotToken: 'BENCH_HUBSPOT_TOKEN',
  scimToken: 'BENCH_SCIM_TOKEN',
  highspotToken: 'BENCH_HIGHSPOT_TOKEN',
  highspotKey: 'BENCH_HIGHSPOT_KEY',
  highspotSecret: 'BENCH_HIGHSPOT_SECRET',
} as const;

export type BenchSecrets = Record<keyof typeof BENCH_ENV, string>;

/** The secrets as the environment variables the idsync config names. */
export function secretsEnv(secrets: BenchSecrets): Record<string, string> {
  return Object.fromEntries(Object.entries(BENCH_ENV).map(([k, name]) => [name, secrets[k as keyof BenchSecrets]]));
}

export const uid = (i: number) => `orch${String(i).padStart(5, '0')}`;

export function peopleLdif(count: number): string {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return `dn: uid=${uid(i)},ou=people,${SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${uid(i)}\ncn: Orch User ${i}\ngivenName: Orch\nsn: User ${i}\nmail: ${uid(i)}@example.com\ndepartmentNumber: Sales\n`;
  }).join('\n');
}

function policy() {
  return {
    targets: {
      hubspot: {
        scope: [{ id: 'hs-everyone' }],
        rules: [{ id: 'hs-sales', when: { department: 'Sales' }, grant: [{ kind: 'role', name: 'Sales Rep' }, { kind: 'primaryTeam', name: 'EMEA' }] }],
      },
      scim: { scope: [{ id: 'sc-everyone' }], rules: [{ id: 'sc-sales', when: { department: 'Sales' }, grant: [{ kind: 'group', name: 'Agents' }] }] },
      highspot: { scope: [{ id: 'hp-everyone' }], rules: [{ id: 'hp-sales', when: { department: 'Sales' }, grant: [{ kind: 'group', name: 'All Employees' }] }] },
    },
  };
}

export function writeIdsyncConfig(path: string, dir: string, slapd: LocalSlapd, temporalAddress: string, origins: Record<BenchTarget, string>): void {
  const rateLimit = LIFTED_RATE_LIMIT;
  const config = {
    temporal: { address: temporalAddress },
    directory: benchDirectory(slapd, { people: `ou=people,${SUFFIX}` }),
    watcher: { pollInterval: '2s', stateDir: join(dir, 'watcher'), baseline: 'silent' },
    audit: { path: join(dir, 'audit.log') },
    targets: {
      hubspot: { kind: 'hubspot', basePath: origins.hubspot, accessTokenEnv: BENCH_ENV.hubspotToken, suspendRoleName: 'No Access', rateLimit },
      scim: { kind: 'scim', baseUrl: `${origins.scim}/scim/v2`, tokenEnv: BENCH_ENV.scimToken, rateLimit },
      highspot: {
        kind: 'highspot',
        baseUrl: `${origins.highspot}${HIGHSPOT_SCIM.basePath}`,
        tokenEnv: BENCH_ENV.highspotToken,
        restBaseUrl: `${origins.highspot}${HIGHSPOT_REST.versionPrefix}`,
        apiKeyEnv: BENCH_ENV.highspotKey,
        apiSecretEnv: BENCH_ENV.highspotSecret,
        rateLimit,
      },
    },
    policy: policy(),
    reconcile: { schedule: { enabled: false } },
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
}

export interface Emulators {
  origins: Record<BenchTarget, string>;
  close(): Promise<void>;
}

/** A process that prints `<prefix>{json}` once ready; resolves with that JSON. */
export async function spawnReady<T>(args: string[], env: NodeJS.ProcessEnv, prefix: string): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start in time: ${output}`)), 300_000);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} during start-up: ${output}`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
        const line = output.split('\n').find((l) => l.startsWith(prefix));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line.slice(prefix.length)) as T);
        }
      });
    }
  });
  child.removeAllListeners('exit');
  // Keep reading, so a chatty child never blocks on a full pipe; its errors still show.
  child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return { child, ready };
}

/** Fresh emulators (empty but for the groups, roles and teams the policy grants), rate limits lifted. */
export async function startEmulators(dir: string, secrets: BenchSecrets): Promise<Emulators> {
  writeFileSync(join(dir, 'hubspot-seed.json'), JSON.stringify({ ...DEFAULT_HUBSPOT_SEED, users: [] }));
  writeFileSync(join(dir, 'scim-seed.json'), JSON.stringify({ groups: ['Agents'], users: [] }));
  writeFileSync(join(dir, 'highspot-seed.json'), JSON.stringify({ groups: ['All Employees'], users: [] }));
  const started = await Promise.allSettled([
    spawnReady<{ url: string }>(['--import', 'tsx', join(PROJECT_ROOT, 'bench/orchestration-hubspot-emulator.ts'), join(dir, 'hubspot-seed.json')], { BENCH_HUBSPOT_TOKENS: secrets.hubspotToken }, 'HUBSPOT_READY '),
    spawnEmulator(join(PROJECT_ROOT, 'emulators/scim/main.ts'), ['--port', '0', '--seed', join(dir, 'scim-seed.json')], { [SCIM_TOKEN_ENV]: secrets.scimToken }, 120_000),
    spawnEmulator(join(PROJECT_ROOT, 'emulators/highspot/main.ts'), ['--port', '0', '--seed', join(dir, 'highspot-seed.json')], {
      [HIGHSPOT_ENV.scimToken]: secrets.highspotToken,
      [HIGHSPOT_ENV.apiKey]: secrets.highspotKey,
      [HIGHSPOT_ENV.apiSecret]: secrets.highspotSecret,
    }, 120_000),
  ] as const);
  const close = () =>
    Promise.allSettled([
      started[0].status === 'fulfilled' ? stopChild(started[0].value.child) : undefined,
      started[1].status === 'fulfilled' ? started[1].value.close() : undefined,
      started[2].status === 'fulfilled' ? started[2].value.close() : undefined,
    ]).then(() => undefined);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const [hubspot, scim, highspot] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [{ ready: { url: string } }, EmulatorProcess, EmulatorProcess];
  return { origins: { hubspot: hubspot.ready.url, scim: scim.origin, highspot: highspot.origin }, close };
}

export interface RecordingProxy {
  origins: Record<BenchTarget, string>;
  /** Points the proxy at other emulators (the baseline's fresh ones). */
  retarget(upstreams: Record<BenchTarget, string>): Promise<void>;
  /** The exchanges recorded since the last call. */
  takeRecording(): Promise<unknown[]>;
  close(): Promise<void>;
}

export async function startRecordingProxy(upstreams: Record<BenchTarget, string>): Promise<RecordingProxy> {
  const { child, ready } = await spawnReady<Record<string, number>>(
    ['--import', 'tsx', join(PROJECT_ROOT, 'bench/orchestration-proxy.ts'), ...Object.entries(upstreams).map(([t, o]) => `${t}=${o}`)],
    {},
    'PROXY_READY ',
  );
  const admin = `http://127.0.0.1:${ready.admin}`;
  return {
    origins: Object.fromEntries(TARGETS.map((t) => [t, `http://127.0.0.1:${ready[t]}`])) as Record<BenchTarget, string>,
    async retarget(next) {
      const res = await fetch(`${admin}/upstreams`, { method: 'PUT', body: JSON.stringify(next) });
      if (!res.ok) throw new Error(`proxy /upstreams answered ${res.status}`);
    },
    async takeRecording() {
      const res = await fetch(`${admin}/recording`, { method: 'POST' });
      if (!res.ok) throw new Error(`proxy /recording answered ${res.status}`);
      return (await res.json()) as unknown[];
    },
    close: () => stopChild(child),
  };
}

/** CPU time a process has used so far (user + system), in seconds; Linux clock ticks are 1/100 s. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
