/**
 * Full scan of 100,000 people (bulk-loaded with slapadd) through idsync's LDAP source, as a ratio to
 * `ldapsearch -E pr=1000/noprompt` over the same entries and attributes in the same run. Goal <= 2x.
 * The ldapts reader and bare ldapts are measured alongside, to show what the streaming reader buys.
 *   node --import tsx bench/ldap-scan.ts [count]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client } from 'ldapts';
import { createDirectorySource } from '../directory';
import { directoryConfigSchema, resolveWatcherConfig, type LdapDirectoryConfig } from '../directory/config';
import { WatcherStateStore } from '../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../directory/watch/poller';
import { statSync, readdirSync } from 'node:fs';
import { startSlapd, type LocalSlapd } from '../scripts/local-services';

const execFileAsync = promisify(execFile);
const COUNT = Number(process.argv[2] ?? 100_000);
const RUNS = 3;
const SUFFIX = 'dc=example,dc=com';
const DEPARTMENTS = ['Engineering', 'Finance', 'Sales', 'Marketing', 'Support', 'Legal', 'HR', 'Operations'];

function ldif(count: number): string {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const u = `user${String(i).padStart(6, '0')}`;
    out.push(
      `dn: uid=${u},ou=people,${SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${u}\ncn: User ${i}\ngivenName: User\nsn: N${i}\n` +
        `mail: ${u}@example.com\nemployeeNumber: ${100000 + i}\ndepartmentNumber: ${DEPARTMENTS[i % 8]}\ntitle: Title ${i % 50}\n` +
        (i > 1 ? `manager: uid=user${String(Math.floor(i / 10) + 1).padStart(6, '0')},ou=people,${SUFFIX}\n` : '') +
        `telephoneNumber: +1 555 ${String(i).padStart(7, '0')}\n`,
    );
  }
  return out.join('\n');
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function ldapsearchSeconds(slapd: LocalSlapd, outFile: string): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'ldapsearch',
      ['-x', '-LLL', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.bindPassword, '-b', `ou=people,${SUFFIX}`, '-E', 'pr=1000/noprompt', '(objectClass=inetOrgPerson)', '*', 'entryUUID', 'entryCSN'],
      { stdio: ['ignore', openSync(outFile, 'w'), 'inherit'] },
    );
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ldapsearch exited ${code}`))));
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The floor ldapts itself sets: the same paged search with the full scan's attribute list (no entryCSN), entries discarded. */
async function rawLdaptsSeconds(slapd: LocalSlapd): Promise<number> {
  const client = new Client({ url: slapd.url });
  await client.bind(slapd.bindDn, slapd.bindPassword);
  const started = process.hrtime.bigint();
  const attributes = ['entryUUID', 'uid', 'mail', 'givenName', 'sn', 'displayName', 'employeeNumber', 'employeeType', 'departmentNumber', 'title', 'l', 'businessCategory', 'manager', 'telephoneNumber', 'pwdAccountLockedTime'];
  for await (const _page of client.searchPaginated(`ou=people,${SUFFIX}`, { filter: '(objectClass=inetOrgPerson)', attributes, paged: { pageSize: 1000 } })) {
    // discard
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await client.unbind();
  return seconds;
}

/** The watcher's own costs at this size: the baseline snapshot, a quiet incremental poll, a presence scan. */
async function watcherAtScale(config: ReturnType<typeof directoryConfigSchema.parse>, stateDir: string): Promise<void> {
  const source = createDirectorySource(config);
  const store = new WatcherStateStore(stateDir);
  const deps = (presenceScanInterval: number): PollerDeps => ({
    source,
    store,
    settings: resolveWatcherConfig({ stateDir, presenceScanInterval, fullScanInterval: 3_600_000 }),
    deliver: async () => undefined,
    audit: { append: async () => undefined },
    eventSource: 'ldap',
  });
  const timed = async (run: () => Promise<{ generation: number }>) => {
    const started = process.hrtime.bigint();
    const outcome = await run();
    return { outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };
  const baseline = await timed(() => pollOnce(deps(3_600_000), null));
  const file = readdirSync(stateDir).find((f) => f.startsWith('state-'))!;
  const quiet = await timed(() => pollOnce(deps(3_600_000), baseline.outcome.generation));
  const steady = await timed(() => pollOnce(deps(3_600_000), quiet.outcome.generation));
  const presence = await timed(() => pollOnce(deps(0), steady.outcome.generation));
  await source.close();
  console.log(
    `watcher at ${COUNT} people: baseline snapshot ${baseline.seconds.toFixed(2)} s (state file ${(statSync(join(stateDir, file)).size / 2 ** 20).toFixed(1)} MiB), ` +
      `first incremental poll ${quiet.seconds.toFixed(2)} s (slapadd -q leaves contextCSN behind, so it re-reads every entry once), ` +
      `then a quiet poll ${(steady.seconds * 1000).toFixed(0)} ms, a poll with a presence scan ${presence.seconds.toFixed(2)} s`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-scan-'));
  const password = randomBytes(12).toString('hex');
  let slapd: LocalSlapd | undefined;
  try {
    slapd = await startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password });
    await slapd.stop();
    const file = join(dir, 'people.ldif');
    writeFileSync(file, ldif(COUNT));
    const loadStart = Date.now();
    await execFileAsync('/usr/sbin/slapadd', ['-q', '-n1', '-F', join(dir, 'ldap', 'slapd.d'), '-l', file]);
    console.log(`loaded ${COUNT} people with slapadd in ${((Date.now() - loadStart) / 1000).toFixed(1)} s`);
    slapd = await startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password });

    process.env.IDSYNC_BENCH_LDAP_PASSWORD = password;
    const config = directoryConfigSchema.parse({
      kind: 'ldap',
      url: slapd.url,
      bindDn: slapd.bindDn,
      bindPasswordEnv: 'IDSYNC_BENCH_LDAP_PASSWORD',
      people: { baseDn: `ou=people,${SUFFIX}` },
      groups: { baseDn: `ou=groups,${SUFFIX}` },
      pageSize: 1000,
      attributes: { extra: ['telephoneNumber'] },
    });
    const ours: number[] = [];
    const viaLdapts: number[] = [];
    const theirs: number[] = [];
    const raw: number[] = [];
    let peakRss = 0;
    const listEveryone = async (scanReader: 'stream' | 'ldapts') => {
      const source = createDirectorySource({ ...(config as LdapDirectoryConfig), scanReader });
      const started = process.hrtime.bigint();
      let seen = 0;
      let withManager = 0;
      for await (const person of source.listPeople()) {
        seen++;
        if (person.managerAnchor) withManager++;
        if (seen % 10_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await source.close();
      if (seen !== COUNT) throw new Error(`the ${scanReader} reader listed ${seen} people, expected ${COUNT}`);
      if (withManager !== COUNT - 1) throw new Error(`the ${scanReader} reader resolved ${withManager} managers, expected ${COUNT - 1}`);
      return seconds;
    };
    for (let run = 0; run < RUNS; run++) {
      theirs.push(await ldapsearchSeconds(slapd, join(dir, 'out.ldif')));
      ours.push(await listEveryone('stream'));
      viaLdapts.push(await listEveryone('ldapts'));
      raw.push(await rawLdaptsSeconds(slapd));
    }
    const ratio = median(ours) / median(theirs);
    const versus = (values: number[]) => `median ${median(values).toFixed(2)} s = ${(median(values) / median(theirs)).toFixed(2)}x ldapsearch`;
    console.log(`ldapsearch -E pr=1000/noprompt: ${theirs.map((s) => s.toFixed(2)).join(' / ')} s (median ${median(theirs).toFixed(2)} s)`);
    console.log(`idsync LdapDirectorySource.listPeople (streaming scan reader, page 1000, managers resolved): ${ours.map((s) => s.toFixed(2)).join(' / ')} s (median ${median(ours).toFixed(2)} s), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    console.log(`(for reference) the same listPeople with scanReader: ldapts: ${versus(viaLdapts)}`);
    console.log(`(for reference) bare ldapts searchPaginated, same attributes, no mapping: ${versus(raw)}`);
    console.log(`ratio idsync / ldapsearch: ${ratio.toFixed(2)}x (goal <= 2x) ${ratio <= 2 ? 'MET' : 'NOT MET'}`);
    await watcherAtScale(config, join(dir, 'state'));
  } finally {
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
