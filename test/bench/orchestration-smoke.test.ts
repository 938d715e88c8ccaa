/**
 * The orchestration bench's machinery at N = 5 (no timings asserted): idsync's activities' requests
 * are recorded through the proxy, one bare workflow per person replays them to fresh emulators, and
 * every replayed request gets the status idsync's got (so ids were mapped and nothing was missed).
 * The bench starts its own Temporal dev server, slapd and emulators, as `npm run bench` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../scripts/local-services';

const execFileAsync = promisify(execFile);

test('bench/orchestration.ts records idsync activities requests and replays every one with the recorded status', { timeout: 600_000 }, async () => {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench/orchestration.ts'), '--people', '5'], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const recorded = Number(/(\d+) HTTP requests recorded/.exec(stdout)?.[1]);
  const replay = /(\d+) requests replayed, ([\d.]+) % with the recorded status/.exec(stdout);
  assert.ok(recorded > 5 * 3, `idsync's requests were recorded (at least one per target and person):\n${stdout}`);
  assert.equal(Number(replay?.[1]), recorded, `every recorded request was replayed:\n${stdout}`);
  assert.equal(replay?.[2], '100.0', `every replayed request got idsync's status:\n${stdout}`);
  assert.match(stdout, /baseline .* 10\.00 activities and/, 'the baseline ran idsync\'s activity count');
  assert.match(stdout, /audit log +50 records, chain intact/);
});
