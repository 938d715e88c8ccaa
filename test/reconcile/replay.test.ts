/**
 * Replays recorded reconciliation histories (test/histories/reconcile/*.json: applied and held runs,
 * from before and after runs asked the one mass-change guard) against the current workflow code, so a change that would
 * break running reconciliations fails here. Re-record after an intended change with
 * `IDSYNC_RECORD_HISTORIES=1 npm run test:only -- test/reconcile/reconcile.test.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { historyFromStoredJson } from '../histories/history-files';

const HISTORY_DIR = join(__dirname, '../histories/reconcile');
// The first two are from before runs asked the one mass-change guard (they replay through the patch's old branch).
const EXPECTED = ['reconcile-applied-by-guard.json', 'reconcile-applied.json', 'reconcile-held-by-guard.json', 'reconcile-held-rejected.json'];
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

test('recorded reconciliation histories replay without non-determinism', async () => {
  const files = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, EXPECTED);
  const histories = files.map((file) => ({ workflowId: file.replace(/\.json$/, ''), history: historyFromStoredJson(readFileSync(join(HISTORY_DIR, file), 'utf8')) }));
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quiet });
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    replayed += 1;
  }
  assert.equal(replayed, EXPECTED.length);
});
