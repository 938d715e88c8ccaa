/**
 * Operator decisions on a held batch are never dropped at a continue-as-new, even one that arrives
 * while the run's last decisions are being applied. The activities are stand-ins here (the real
 * ones are covered in watcher-guard.test.ts): only they can send a signal at exactly that moment.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { testEnv, uniqueId } from '../support/env';
import { pollUntil } from '../support/poll';
import { WORKFLOW_TYPES } from '../../lib/names';
import { approveBatchSignal, rejectBatchSignal } from '../../workflows/directory-watcher';
import type { WatcherDecisionInput } from '../../activities/directory';
import type { PollOutcome } from '../../directory/watch/types';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('a decision signalled while the run applies its last decisions is applied before the continue-as-new', async () => {
  const connection = await Connection.connect({ address: testEnv.temporalAddress() });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  cleanups.push(() => native.close());
  const taskQueue = uniqueId('watcher-decisions');
  const workflowId = uniqueId('watcher-decisions-wf');

  const decided: { operator: string; approve: boolean; runId: string }[] = [];
  const outcome = (generation: number): PollOutcome => ({
    generation,
    delivered: 0,
    cursorAdvancedAt: null,
    lastPollAt: new Date().toISOString(),
    people: 100,
    pending: { batchId: 'held-1', leavers: 80, reason: 'test', since: new Date().toISOString() },
    pollIntervalMs: 60_000,
    // One poll per run: the first decision ends the run's loop, so the last-decisions path is the one taken.
    pollsPerRun: 1,
  });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: require.resolve('../../workflows/directory-watcher'),
    activities: {
      async pollDirectoryWatcher(input: { generation: number | null }) {
        return outcome((input.generation ?? 0) + 1);
      },
      async decideDirectoryWatcherBatch(input: WatcherDecisionInput) {
        decided.push({ operator: input.operator, approve: input.approve, runId: Context.current().info.workflowExecution?.runId ?? '' });
        if (input.operator === 'first-operator') {
          // The second decision reaches the workflow while this one is still being applied.
          await client.workflow.getHandle(workflowId).signal(rejectBatchSignal, { operator: 'second-operator', comment: 'no', batchId: 'held-1' });
        }
        return outcome((input.generation ?? 0) + 1);
      },
    },
  });
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running;
  });

  const handle = await client.workflow.start(WORKFLOW_TYPES.directoryWatcher, { workflowId, taskQueue, args: [{ activityTaskQueue: taskQueue }] });
  cleanups.push(() => client.workflow.getHandle(workflowId).terminate('test finished'));
  await pollUntil('the first poll', async () => ((await handle.fetchHistory()).events ?? []).some((e) => e.activityTaskCompletedEventAttributes) || undefined);
  await handle.signal(approveBatchSignal, { operator: 'first-operator', comment: 'yes', batchId: 'held-1' });

  await pollUntil('a continue-as-new', async () => ((await client.workflow.getHandle(workflowId).describe()).runId !== handle.firstExecutionRunId ? true : undefined));
  assert.deepEqual(
    decided.map(({ operator, approve }) => ({ operator, approve })),
    [
      { operator: 'first-operator', approve: true },
      { operator: 'second-operator', approve: false },
    ],
  );
  assert.ok(decided.every((d) => d.runId === handle.firstExecutionRunId), 'both were applied by the run that received them');
});
