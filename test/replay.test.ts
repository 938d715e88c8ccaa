/**
 * Replays recorded histories (test/histories/*.json) against the current workflow code: a change
 * that would make running workflows non-deterministic fails here. Re-record after an intended change
 * with `npm run test:only -- test/histories/record.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { personWorkflowBundle } from './workflows/support/harness';
import { historyFromStoredJson } from './histories/history-files';

const HISTORY_DIR = join(__dirname, 'histories');
const EXPECTED = ['joiner-approved.json', 'leaver.json', 'mover.json', 'person-lifecycle.json', 'rehire.json'];

test('recorded person workflow histories replay without non-determinism', async () => {
  const files = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, EXPECTED, 'every workflow type has a recorded history');
  const histories = files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromStoredJson(readFileSync(join(HISTORY_DIR, file), 'utf8')),
  }));
  const results = Worker.runReplayHistories({ workflowBundle: await personWorkflowBundle() }, histories);
  let replayed = 0;
  for await (const result of results) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    replayed += 1;
  }
  assert.equal(replayed, EXPECTED.length);
});
