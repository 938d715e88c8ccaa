/**
 * `npm run bench`: every benchmark, one after another (they would skew each other on 2 cores).
 * Each prints its own ratios; this only runs them and reports which failed to complete.
 *   npm run bench -- hubspot      run the benchmarks whose file name contains "hubspot"
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../scripts/local-services';

/**
 * A bench that dies outright (an uncaught error from a worker thread, say) skips its own cleanup and
 * leaves slapd (a daemon of its own) and its Temporal server and emulators running. Each bench runs
 * in a process group of its own, killed once the bench has exited, and the slapd of any bench
 * directory it left behind is stopped.
 */
/** The bench running now: its process group and the bench directories that were there before it. */
let current: { pid: number | undefined; dirsBefore: Set<string> } | undefined;

// Ctrl-C or a stop of this runner reaches the bench's whole group, as it would without a group of its own.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (current) cleanUpAfter(current.pid, current.dirsBefore);
    process.exit(130);
  });
}

/** Runs one bench in a process group of its own; cleans up after it whatever way it ended. */
function runBench(path: string): Promise<number | null> {
  const dirsBefore = benchDirs();
  const child = spawn(process.execPath, ['--import', 'tsx', path], { stdio: 'inherit', cwd: PROJECT_ROOT, detached: true });
  current = { pid: child.pid, dirsBefore };
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      cleanUpAfter(child.pid, dirsBefore);
      current = undefined;
      resolve(code);
    }),
  );
}

function benchDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('idsync-bench-')));
}

function cleanUpAfter(pid: number | undefined, dirsBefore: Set<string>): void {
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing of the group is left.
    }
  }
  for (const name of benchDirs()) {
    const ldapDir = join(tmpdir(), name, 'ldap');
    if (dirsBefore.has(name) || !existsSync(ldapDir)) continue;
    spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'slapd.sh'), 'stop', ldapDir], { stdio: 'ignore' });
    console.log(`stopped the slapd bench/${name} left behind (its files stay in ${join(tmpdir(), name)})`);
  }
}

/** Entry points, cheapest first; the other files in bench/ are their helpers. */
const BENCHES = ['ldap-scan.ts', 'membership.ts', 'reconcile.ts', 'directory-latency.ts', 'hubspot-bulk.ts', 'first-sync.ts', 'orchestration.ts'];

const filter = process.argv[2] ?? '';
const present = new Set(readdirSync(join(PROJECT_ROOT, 'bench')));
const benches = BENCHES.filter((f) => present.has(f) && f.includes(filter));
async function main(): Promise<void> {
  const failed: string[] = [];
  for (const file of benches) {
    console.log(`\n=== bench/${file} ===`);
    if ((await runBench(join(PROJECT_ROOT, 'bench', file))) !== 0) failed.push(file);
  }
  console.log(`\n${benches.length - failed.length} of ${benches.length} benchmarks completed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  process.exit(failed.length ? 1 : 0);
}

void main();
