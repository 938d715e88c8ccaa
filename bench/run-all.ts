/**
 * `npm run bench`: every benchmark, one after another (they would skew each other on 2 cores).
 * Each prints its own ratios; this only runs them and reports which failed to complete.
 *   npm run bench -- hubspot      run the benchmarks whose file name contains "hubspot"
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../scripts/local-services';

/** Entry points, cheapest first; the other files in bench/ are their helpers. */
const BENCHES = ['ldap-scan.ts', 'membership.ts', 'reconcile.ts', 'directory-latency.ts', 'hubspot-bulk.ts', 'first-sync.ts', 'orchestration.ts'];

const filter = process.argv[2] ?? '';
const present = new Set(readdirSync(join(PROJECT_ROOT, 'bench')));
const benches = BENCHES.filter((f) => present.has(f) && f.includes(filter));
const failed: string[] = [];
for (const file of benches) {
  console.log(`\n=== bench/${file} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench', file)], { stdio: 'inherit', cwd: PROJECT_ROOT });
  if (run.status !== 0) failed.push(file);
}
console.log(`\n${benches.length - failed.length} of ${benches.length} benchmarks completed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
