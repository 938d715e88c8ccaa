/**
 * The watcher's decision logic without a server: plain objects in, plain answers out. The workflow
 * wiring (signals, activities, timers, continue-as-new) is covered by the other watcher-* tests and
 * the replay test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PollOutcome } from '../../directory/watch/types';
import { WatcherController } from '../../workflows/watcher-controller';

function outcome(overrides: Partial<PollOutcome> = {}): PollOutcome {
  return {
    generation: 1,
    delivered: 0,
    cursorAdvancedAt: '2026-01-01T00:00:00.000Z',
    lastPollAt: '2026-01-01T00:00:02.500Z',
    people: 10,
    pending: null,
    pollIntervalMs: 2000,
    pollsPerRun: 200,
    ...overrides,
  };
}

const pendingBatch = { batchId: 'batch-1', leavers: 30, reason: '30 leavers in one poll exceed the limit of 25', since: '2026-01-01T00:00:02.000Z' };

test('a poll outcome becomes the status, and the next poll reads the generation it wrote', () => {
  const watcher = new WatcherController({ generation: 4, lastPollAt: 'carried', cursorAdvancedAt: 'carried' });
  assert.deepEqual(watcher.pollRequest(), { generation: 4 });
  assert.equal(watcher.status.lastPollAt, 'carried');
  watcher.pollCompleted(outcome({ generation: 5, people: 7, pollIntervalMs: 300 }));
  assert.deepEqual(watcher.pollRequest(), { generation: 5 });
  assert.deepEqual(watcher.status, {
    generation: 5,
    lastPollAt: '2026-01-01T00:00:02.500Z',
    cursorAdvancedAt: '2026-01-01T00:00:00.000Z',
    cursorAgeMs: 2500,
    people: 7,
    pendingBatch: null,
    decisions: [],
    refusals: [],
  });
  assert.equal(watcher.pollIntervalMs, 300);
  watcher.pollCompleted(outcome({ cursorAdvancedAt: null }));
  assert.equal(watcher.status.cursorAgeMs, null, 'no age for a cursor that never moved');
});

test('the guard state is reported on the first outcome and then only when it changes', () => {
  const watcher = new WatcherController();
  assert.equal(watcher.pollCompleted(outcome()), 'clear');
  assert.equal(watcher.pollCompleted(outcome()), null);
  assert.equal(watcher.pollCompleted(outcome({ pending: pendingBatch })), 'awaiting-approval');
  assert.equal(watcher.pollCompleted(outcome({ pending: pendingBatch })), null);
  assert.deepEqual(watcher.status.pendingBatch, pendingBatch);
  watcher.acceptDecision({ operator: 'ops-lead', comment: 'reorg' }, true);
  assert.equal(watcher.decisionApplied(watcher.nextDecision()!, outcome({ pending: null })), 'clear');
});

test('anonymous decisions are queued too (the decide activity refuses and audits them); a missing comment becomes empty text', () => {
  const watcher = new WatcherController();
  watcher.pollCompleted(outcome({ pending: pendingBatch }));
  watcher.acceptDecision({ comment: 'x' } as never, true);
  watcher.acceptDecision({ batchId: 'batch-1', operator: 'ops-lead' } as never, false);
  assert.deepEqual(watcher.nextDecision(), { comment: 'x', operator: '', approve: true, batchId: 'batch-1', generation: 1 });
  assert.deepEqual(watcher.nextDecision(), { batchId: 'batch-1', operator: 'ops-lead', comment: '', approve: false, generation: 1 });
});

test('a refused decision is listed as a refusal, not a decision; an update gets its answer either way', () => {
  const watcher = new WatcherController();
  watcher.pollCompleted(outcome({ pending: pendingBatch }));
  assert.throws(() => watcher.validateDecision({ decision: 'maybe', operator: 'x' }), /approve or reject/);
  assert.throws(() => watcher.validateDecision({ decision: 'approve', operator: '' }), /operator identity is required/);
  assert.throws(() => watcher.validateDecision({ decision: 'approve', operator: 'x', batchId: 'batch-9' }), /not the one held \(batch-1\)/);
  watcher.validateDecision({ decision: 'approve', operator: 'x', batchId: 'batch-1' });
  const stranger = watcher.acceptDecision({ operator: 'stranger', comment: '' }, true, true)!;
  watcher.decisionApplied(watcher.nextDecision()!, { ...outcome({ pending: pendingBatch }), refused: 'operator stranger is in none of the operator groups (ops)' });
  assert.deepEqual(watcher.answerFor(stranger), { accepted: false, batchId: 'batch-1', message: 'operator stranger is in none of the operator groups (ops)' });
  assert.deepEqual(watcher.status.decisions, []);
  assert.equal(watcher.status.refusals[0]?.operator, 'stranger');
  const lead = watcher.acceptDecision({ operator: 'ops-lead', comment: '' }, false, true)!;
  watcher.decisionApplied(watcher.nextDecision()!, outcome({ pending: null }));
  assert.equal(watcher.answerFor(lead)?.accepted, true);
  assert.throws(() => watcher.validateDecision({ decision: 'approve', operator: 'x' }), /no batch is held/);
});

test('a decision without a batch id applies to the pending batch, or is dropped when none is pending', () => {
  const watcher = new WatcherController({ generation: 2 });
  watcher.acceptDecision({ operator: 'early', comment: '' }, true);
  assert.equal(watcher.nextDecision(), null, 'nothing pending yet: dropped');
  assert.equal(watcher.hasQueuedWork(), false);

  watcher.pollCompleted(outcome({ generation: 3, pending: pendingBatch }));
  watcher.acceptDecision({ operator: 'ops-lead', comment: 'reorg' }, true);
  watcher.acceptDecision({ batchId: 'batch-0', operator: 'ops-lead', comment: 'old one' }, false);
  const first = watcher.nextDecision()!;
  assert.deepEqual(first, { operator: 'ops-lead', comment: 'reorg', approve: true, batchId: 'batch-1', generation: 3 });
  watcher.decisionApplied(first, outcome({ generation: 4, lastPollAt: '2026-01-01T00:00:05.000Z' }));
  const second = watcher.nextDecision()!;
  assert.deepEqual(second, { batchId: 'batch-0', operator: 'ops-lead', comment: 'old one', approve: false, generation: 4 }, 'asked against the generation the first decision wrote');
  watcher.decisionApplied(second, outcome({ generation: 4, lastPollAt: '2026-01-01T00:00:06.000Z' }));
  assert.equal(watcher.nextDecision(), null);
  assert.deepEqual(watcher.status.decisions, [
    { batchId: 'batch-1', approved: true, operator: 'ops-lead', at: '2026-01-01T00:00:05.000Z' },
    { batchId: 'batch-0', approved: false, operator: 'ops-lead', at: '2026-01-01T00:00:06.000Z' },
  ]);
});

test('decisions queued while one is being applied are handed out in arrival order', () => {
  const watcher = new WatcherController();
  watcher.pollCompleted(outcome({ pending: pendingBatch }));
  watcher.acceptDecision({ operator: 'a', comment: '' }, false);
  const first = watcher.nextDecision()!;
  watcher.acceptDecision({ operator: 'b', comment: '' }, true);
  watcher.acceptDecision({ operator: 'c', comment: '' }, true);
  watcher.decisionApplied(first, outcome({ pending: pendingBatch }));
  assert.deepEqual([watcher.nextDecision()?.operator, watcher.nextDecision()?.operator, watcher.nextDecision()], ['b', 'c', null]);
});

test('polls start one interval apart; a poll as long as the interval is still followed by a quarter of it', () => {
  const watcher = new WatcherController({});
  watcher.pollCompleted(outcome({ pollIntervalMs: 2000 }));
  assert.equal(watcher.pauseAfterPoll(0), 2000);
  assert.equal(watcher.pauseAfterPoll(700), 1300);
  assert.equal(watcher.pauseAfterPoll(1500), 500);
  assert.equal(watcher.pauseAfterPoll(2000), 500);
  assert.equal(watcher.pauseAfterPoll(9000), 500);
});

test('a run ends after its configured number of polls, or when the server suggests continue-as-new', () => {
  const watcher = new WatcherController();
  watcher.pollCompleted(outcome({ pollsPerRun: 3 }));
  assert.equal(watcher.runIsOver(false), false);
  assert.equal(watcher.runIsOver(true), true);
  watcher.pollCompleted(outcome({ pollsPerRun: 3 }));
  assert.equal(watcher.runIsOver(false), false);
  watcher.pollCompleted(outcome({ pollsPerRun: 3 }));
  assert.equal(watcher.runIsOver(false), true);

  const lowered = new WatcherController();
  lowered.pollCompleted(outcome({ pollsPerRun: 0 }));
  assert.equal(lowered.runIsOver(false), true, 'a configuration of fewer polls than already done ends the run');
});

test('the next run starts where this one got to', () => {
  const watcher = new WatcherController({ generation: 1, activityTaskQueue: 'dir-q' });
  watcher.pollCompleted(outcome({ generation: 9, lastPollAt: 'p', cursorAdvancedAt: 'c' }));
  assert.deepEqual(watcher.continueAsNewInput(), { generation: 9, activityTaskQueue: 'dir-q', lastPollAt: 'p', cursorAdvancedAt: 'c' });
  assert.deepEqual(new WatcherController().continueAsNewInput(), { generation: null, activityTaskQueue: undefined, lastPollAt: null, cursorAdvancedAt: null });
});
