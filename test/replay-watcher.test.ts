/**
 * Replays the directory watcher's recorded history (taken from a real end-to-end run) against the
 * current workflow bundle, so a non-deterministic watcher change fails CI. Re-record after an
 * intended change: IDSYNC_RECORD_HISTORIES=1 npm run test:only -- test/e2e
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { historyFromStoredJson } from './histories/history-files';

test('the recorded directory watcher history replays without non-determinism', async () => {
  const history = historyFromStoredJson(readFileSync(join(__dirname, 'histories/watcher/directory-watcher.json'), 'utf8'));
  assert.ok((history.events?.length ?? 0) > 20, 'a history with real polls in it');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const results = Worker.runReplayHistories({ workflowBundle }, [{ workflowId: 'directory-watcher', history }]);
  let replayed = 0;
  for await (const result of results) {
    assert.equal(result.error, undefined, result.error?.message);
    replayed += 1;
  }
  assert.equal(replayed, 1);
});
