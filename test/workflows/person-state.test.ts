/**
 * The person workflow's rules without a server: PersonState is a plain class, fed events, run
 * results and the clock the way the workflow shell feeds it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PersonState, DEFAULT_RETRY_BACKOFF_MS } from '../../workflows/person-state';
import type { IdentityEvent, IdentityEventKind } from '../../domain/person';
import type { RunResult, TargetProgress } from '../../workflows/person-types';

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const ev = (eventId: string, kind: IdentityEventKind, extra: Partial<IdentityEvent> = {}): IdentityEvent => ({
  eventId,
  kind,
  anchor: 'a-1',
  source: 'ldap',
  observedAt: new Date(T0).toISOString(),
  reason: `${kind} in a test`,
  ...extra,
});
const target = (name: string, status: TargetProgress['status'], extra: Partial<TargetProgress> = {}): TargetProgress => ({ target: name, status, path: 'provision', changes: 0, ...extra });
const result = (outcome: RunResult['outcome'], targets: TargetProgress[], extra: Partial<RunResult> = {}): RunResult => ({
  eventId: 'x',
  kind: 'joiner',
  workflowId: 'wf',
  outcome,
  targets,
  scheduledRemovals: [],
  inScopeTargets: [],
  links: {},
  ...extra,
});

test('duplicates and other people\'s events are dropped; a leaver replaces what was queued before it; movers replace movers', () => {
  const p = PersonState.start('a-1', {});
  assert.equal(p.receive(ev('e1', 'joiner'), T0), true);
  assert.equal(p.receive(ev('e1', 'joiner'), T0), false);
  assert.equal(p.receive(ev('e9', 'joiner', { anchor: 'someone-else' }), T0), false);
  p.receive(ev('e2', 'mover'), T0);
  p.receive(ev('e3', 'sync'), T0);
  assert.deepEqual(p.status().queued.map((q) => q.eventId), ['e1', 'e3'], 'the sync replaced the earlier mover');
  assert.equal(p.interruptingEvent()?.eventId, 'e1');
  p.receive(ev('e4', 'leaver'), T0);
  assert.deepEqual(p.status().queued.map((q) => q.eventId), ['e4']);
  assert.deepEqual(p.data.recent.map((r) => `${r.eventId}:${r.outcome}`), ['e1:duplicate', 'e9:duplicate', 'e2:superseded-before-start', 'e1:superseded-before-start', 'e3:superseded-before-start']);
});

test('links are remembered from run results, forgotten when the account is gone, and published as target:accountId', () => {
  const p = PersonState.start('a-1', {});
  p.runFinished('joiner', 'e1', result('converged', [target('desk', 'done'), target('wiki', 'done')], { links: { desk: 'd-1', wiki: 'w-1' } }), T0);
  assert.deepEqual(p.linkValues(), ['desk:d-1', 'wiki:w-1']);
  p.runFinished('mover', 'e2', result('converged', [], { links: { wiki: null } }), T0 + 1000);
  assert.deepEqual(p.linkValues(), ['desk:d-1']);
  assert.equal(p.mayFinish(), false, 'a person with a managed account keeps the workflow');
  assert.equal(p.links.desk!.linkedAt, new Date(T0).toISOString(), 'an unchanged link keeps its date');
});

test('a partial run schedules retries on the back-off until a run converges; a person-only problem is not retried', () => {
  const p = PersonState.start('a-1', {});
  p.runFinished('joiner', 'e1', result('partial', [target('desk', 'done'), target('wiki', 'failed', { error: 'wiki down', retryable: true })], { message: 'wiki: wiki down' }), T0);
  assert.equal(p.data.outcome, 'partial');
  assert.equal(p.data.outcomeReason, 'wiki: wiki down');
  assert.equal(p.nextDueAt(), T0 + DEFAULT_RETRY_BACKOFF_MS[0]!);
  assert.equal(p.takeDueRetry(T0 + 1000), undefined, 'not yet due');
  const retry = p.takeDueRetry(T0 + DEFAULT_RETRY_BACKOFF_MS[0]!);
  assert.equal(retry?.kind, 'sync');
  assert.equal(retry?.source, 'retry');
  assert.equal(p.takeDueRetry(T0 + DEFAULT_RETRY_BACKOFF_MS[0]! + 1), undefined, 'the same retry is queued once');
  assert.equal(p.nextDueAt(), undefined, 'a queued retry sets no timer');
  const second = T0 + 120_000;
  p.runFinished('sync', retry!.eventId, result('partial', [target('wiki', 'failed', { retryable: true })]), second);
  assert.equal(p.data.retry?.attempt, 2);
  assert.equal(Date.parse(p.data.retry!.dueAt), second + DEFAULT_RETRY_BACKOFF_MS[1]!);
  p.runFinished('sync', 'e3', result('converged', [target('wiki', 'done')]), second + 1);
  assert.equal(p.data.outcome, 'converged');
  assert.equal(p.data.retry, undefined);
  assert.equal(p.data.outcomeReason, undefined);

  const q = PersonState.start('a-1', {});
  q.runFinished('joiner', 'e1', result('partial', [target('desk', 'failed', { error: 'no email', retryable: false })], { message: 'desk: no email' }), T0);
  assert.equal(q.data.outcome, 'partial');
  assert.equal(q.data.retry, undefined, 'bad data waits for a person');
  q.runFinished('joiner', 'e2', result('failed', [], { retryable: false, message: 'not in the directory' }), T0);
  assert.equal(q.data.outcome, 'failed');
  assert.equal(q.data.retry, undefined);
});

test('back-off steps are configurable and the last one repeats; a leaver is retried as a leaver', () => {
  const p = PersonState.start('a-1', { retryBackoffMs: [10, 20] });
  const failing = result('partial', [target('hub', 'failed', { retryable: true })]);
  p.runFinished('leaver', 'e1', failing, T0);
  assert.equal(p.data.retry?.kind, 'leaver');
  assert.equal(Date.parse(p.data.retry!.dueAt), T0 + 10);
  for (const [attempt, delay] of [[2, 20], [3, 20]] as const) {
    p.takeDueRetry(T0 + 10_000);
    p.runFinished('leaver', `r${attempt}`, failing, T0);
    assert.equal(p.data.retry?.attempt, attempt);
    assert.equal(Date.parse(p.data.retry!.dueAt), T0 + delay);
  }
});

test('a superseded run leaves the outcome alone', () => {
  const p = PersonState.start('a-1', {});
  p.runFinished('joiner', 'e1', result('partial', [target('wiki', 'failed', { retryable: true })]), T0);
  p.runFinished('joiner', 'e2', result('superseded', []), T0);
  assert.equal(p.data.outcome, 'partial');
  assert.ok(p.data.retry);
});

test('removals carry the link, retry on transient failure and forget the link when done; a rehire cancels them', () => {
  const p = PersonState.start('a-1', { retryBackoffMs: [1000] });
  p.runFinished('joiner', 'e1', result('converged', [target('hub', 'done')], { links: { hub: '42' } }), T0);
  p.runFinished('leaver', 'e2', result('converged', [target('hub', 'done', { path: 'suspend' })], { scheduledRemovals: [{ target: 'hub', gracePeriodMs: 5000, accountId: '42' }], links: { hub: '42' } }), T0);
  assert.equal(p.nextDueAt(), T0 + 5000);
  assert.deepEqual(p.takeDue(T0 + 4999).removals, []);
  const [removal] = p.takeDue(T0 + 5000).removals;
  assert.equal(removal?.accountId, '42');
  p.removalFailed(removal!, 'HubSpot 503', true, T0 + 5000);
  assert.equal(p.data.outcome, 'partial');
  assert.equal(p.nextDueAt(), T0 + 6000, 'the removal comes back on the back-off');
  const [again] = p.takeDue(T0 + 6000).removals;
  p.removalDone(again!, T0 + 6000);
  assert.deepEqual(p.linkValues(), []);
  assert.equal(p.data.outcome, 'converged');
  assert.equal(p.mayFinish(), true);

  const r = PersonState.start('a-1', {});
  r.runFinished('leaver', 'e1', result('converged', [], { scheduledRemovals: [{ target: 'hub', gracePeriodMs: 5000, accountId: '42' }] }), T0);
  assert.deepEqual(r.cancelDeprovisioning()?.removals.map((x) => x.target), ['hub']);
  assert.equal(r.nextDueAt(), undefined);
});

test('a leaver with a leave date ahead is deferred; the leave date from a plan is followed and dropped when the directory drops it', () => {
  const p = PersonState.start('a-1', {});
  const later = new Date(T0 + 86_400_000).toISOString();
  assert.equal(p.deferLeaver(ev('e1', 'leaver', { person: { endDate: later } as never }), T0), true);
  assert.equal(p.data.pendingLeave?.dueAt, later);
  assert.equal(p.deferLeaver(ev('e2', 'leaver'), T0), false);
  assert.equal(p.data.pendingLeave, undefined);
  p.runFinished('mover', 'e3', result('converged', [], { plan: { leaveAt: later } as never }), T0);
  assert.equal(p.status().pendingLeave?.fromPlan, true);
  p.runFinished('mover', 'e4', result('converged', [], { plan: {} as never }), T0);
  assert.equal(p.data.pendingLeave, undefined);
});

test('an identity conflict holds the person as conflict, not retried by itself unless another target failed transiently', () => {
  const p = PersonState.start('a-1', {});
  const conflict = target('hub', 'failed', { retryable: false, conflictWith: ['a-0'], error: 'identity conflict' });
  p.runFinished('joiner', 'e1', result('conflict', [conflict], { message: 'hub: identity conflict' }), T0);
  assert.equal(p.data.outcome, 'conflict');
  assert.equal(p.data.retry, undefined);
  p.runFinished('mover', 'e2', result('conflict', [conflict, target('wiki', 'failed', { retryable: true })]), T0);
  assert.equal(p.status().retry?.attempt, 1, 'the transient failure elsewhere is still retried');
});
