/**
 * Bench (e): a full scan of 100,000 people (bulk-loaded with slapadd) through idsync's LDAP source,
 * side by side with `ldapsearch -E pr=1000/noprompt` over the same entries in the same run: the two
 * alternate, RUNS times each, and the medians are compared. Goal <= 1.3x ldapsearch.
 * Each scan of idsync's runs in a process of its own (bench/ldap-scan-reader.ts: streaming reader,
 * mapping, group index, manager resolution; only the modules that needs), so the RSS it reports is
 * the reader's alone: at start, after its imports, at its peak. Goal: growth < 100 MiB.
 *   node --import tsx bench/ldap-scan.ts [count] [--cpu-prof DIR]   (profiles the last reader run)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createDirectorySource } from '../directory';
import { directoryConfigSchema, resolveWatcherConfig } from '../directory/config';
import { WatcherStateStore } from '../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../directory/watch/poller';
import { statSync, readdirSync } from 'node:fs';
import { startSlapd, type LocalSlapd } from '../scripts/local-services';

const execFileAsync = promisify(execFile);
const COUNT = Number(process.argv[2]?.startsWith('--') ? 100_000 : (process.argv[2] ?? 100_000));
const RUNS = 7;
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

interface ReaderRun {
  seconds: number;
  cpuSeconds: number;
  people: number;
  managers: number;
  rss: { start: number; afterImports: number; peak: number; end: number };
}

/** One scan in a fresh process (bench/ldap-scan-reader.ts); `profileDir` adds node's --cpu-prof. */
async function readerRun(config: unknown, profileDir?: string): Promise<ReaderRun> {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const { stdout } = await execFileAsync(process.execPath, [...profile, '--import', 'tsx', join(__dirname, 'ldap-scan-reader.ts')], {
    env: { ...process.env, IDSYNC_BENCH_SCAN_CONFIG: JSON.stringify(config) },
    maxBuffer: 1 << 20,
  });
  const run = JSON.parse(stdout.trim().split('\n').pop()!) as ReaderRun;
  if (run.people !== COUNT) throw new Error(`the reader listed ${run.people} people, expected ${COUNT}`);
  if (run.managers !== COUNT - 1) throw new Error(`the reader resolved ${run.managers} managers, expected ${COUNT - 1}`);
  return run;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-scan-'));
  const password = randomBytes(12).toString('hex');
  const profileAt = process.argv.indexOf('--cpu-prof');
  const profileDir = profileAt > 0 ? process.argv[profileAt + 1] : undefined;
  let slapd: LocalSlapd | undefined;
  try {
    slapd = await startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password });
    await slapd.stop();
    const file = join(dir, 'people.ldif');
    writeFileSync(file, ldif(COUNT));
    const loadStart = Date.now();
    await execFileAsync('/usr/sbin/slapadd', ['-q', '-n1', '-F', join(dir, 'ldap', 'slapd.d'), '-l', file]);
    console.log(`loaded ${COUNT} people with slapadd in ${((Date.now() - loadStart) / 1000).toFixed(1)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    slapd = await startSlapd({ dataDir: join(dir, 'ldap'), rootPassword: password });

    process.env.IDSYNC_BENCH_LDAP_PASSWORD = password;
    const directory = {
      kind: 'ldap',
      url: slapd.url,
      bindDn: slapd.bindDn,
      bindPasswordEnv: 'IDSYNC_BENCH_LDAP_PASSWORD',
      people: { baseDn: `ou=people,${SUFFIX}` },
      groups: { baseDn: `ou=groups,${SUFFIX}` },
      pageSize: 1000,
      attributes: { extra: ['telephoneNumber'] },
    };
    const ours: ReaderRun[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Alternate which goes first, so a drift in the machine's load does not favour either side.
      const profile = run === RUNS - 1 ? profileDir : undefined;
      if (run % 2 === 0) {
        theirs.push(await ldapsearchSeconds(slapd, join(dir, 'out.ldif')));
        ours.push(await readerRun(directory, profile));
      } else {
        ours.push(await readerRun(directory, profile));
        theirs.push(await ldapsearchSeconds(slapd, join(dir, 'out.ldif')));
      }
    }
    const ourSeconds = ours.map((r) => r.seconds);
    const ratio = median(ourSeconds) / median(theirs);
    const growth = ours.map((r) => r.rss.peak - r.rss.afterImports);
    const typical = ours[ourSeconds.indexOf(median(ourSeconds))]!;
    console.log(`ldapsearch -E pr=1000/noprompt: ${theirs.map((s) => s.toFixed(2)).join(' / ')} s (median ${median(theirs).toFixed(2)} s)`);
    console.log(`idsync listPeople (streaming reader, page 1000, groups, managers resolved), own process each: ${ourSeconds.map((s) => s.toFixed(2)).join(' / ')} s (median ${median(ourSeconds).toFixed(2)} s), the reader's CPU ${ours.map((r) => r.cpuSeconds.toFixed(2)).join(' / ')} s`);
    console.log(
      `reader RSS (median run): ${mib(typical.rss.start)} at start, ${mib(typical.rss.afterImports)} after imports (${mib(typical.rss.afterImports - typical.rss.start)} of imports), ` +
        `peak ${mib(typical.rss.peak)}, ${mib(typical.rss.end)} at the end; growth over the scan ${growth.map(mib).join(' / ')}`,
    );
    console.log(`ratio idsync / ldapsearch: ${ratio.toFixed(2)}x (goal <= 1.3x) ${ratio <= 1.3 ? 'MET' : 'NOT MET'}`);
    // Each run against the ldapsearch run next to it: less exposed to the load drifting over the runs.
    const paired = ourSeconds.map((s, i) => s / theirs[i]!);
    console.log(`per-run ratios (each against its neighbouring ldapsearch): ${paired.map((r) => r.toFixed(2)).join(' / ')}, median ${median(paired).toFixed(2)}x`);
    console.log(`reader RSS growth: median ${mib(median(growth))} (goal < 100 MiB) ${median(growth) < 100 * 2 ** 20 ? 'MET' : 'NOT MET'}`);
    if (profileDir) console.log(`CPU profile of the last reader run in ${profileDir}`);
    const config = directoryConfigSchema.parse(directory);
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
