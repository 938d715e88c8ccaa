/**
 * Replays a recorded group workflow history (appeared, renamed, members changed, removed on two
 * targets) against the current code: a change that would break running group workflows fails here.
 * Re-record after an intended change: IDSYNC_RECORD_GROUP_HISTORY=1 npm run test:only -- test/groups/group-lifecycle.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { historyFromStoredJson } from '../histories/history-files';
import { GROUP_HISTORY_FILE } from './support/history';


test('the recorded group workflow history replays without non-determinism', async () => {
  const history = historyFromStoredJson(readFileSync(GROUP_HISTORY_FILE, 'utf8'));
  assert.ok((history.events ?? []).length > 10, 'a history with the whole lifecycle');
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/group-lifecycle'), logger: quiet });
  await Worker.runReplayHistory({ workflowBundle }, history, 'group-lifecycle');
});
