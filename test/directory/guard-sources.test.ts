/**
 * The one mass-change guard in front of every source: the intake's leavers count in the same sliding
 * window as the watcher's, join the same held batch, and are delivered only when an operator approves
 * there; without a running guard nothing is deprovisioned. And the fault test the issue asks for: most
 * of the directory vanishing gradually is held as one batch, nothing released before a decision,
 * nothing after a reject, everything after an approval.
 * Real Temporal, real slapd, the real watcher, the real intake server over HTTP.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIntakeServer, type IntakeServer } from '../../starters/intake';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signIntakeRequest } from '../../starters/intake-request';
import { approveBatchSignal, rejectBatchSignal, watcherStatusQuery } from '../../workflows/directory-watcher';
import { guardDecideCommand } from '../../cli/guard-commands';
import { pollsPass, setupGuardedWatcher, type GuardedWatcher } from './support/guarded-watcher';
import { waitUntil } from './support/watcher-harness';

const SECRET = 'guard-sources-test-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function intakeFor(g: GuardedWatcher, guardWorkflowId = g.watcher.workflowId): Promise<IntakeServer> {
  const server = await startIntakeServer({ port: 0, hmacSecret: SECRET, directory: g.h.source, client: g.h.client, orchestrationTaskQueue: g.h.taskQueue, guardWorkflowId });
  cleanups.push(() => server.close());
  return server;
}

async function postLeaver(server: IntakeServer, anchor: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = JSON.stringify({ kind: 'leaver', anchor, reason: 'contract ended' });
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signIntakeRequest(SECRET, ts, text), [TIMESTAMP_HEADER]: String(ts) },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('intake leavers count in the same window as the watcher\'s, join its held batch and are released only by an operator there', async () => {
  const g = await setupGuardedWatcher(cleanups, 'guard-intake', 10);
  const { fx, h, watcher, everyone } = g;
  const intake = await intakeFor(g);
  // Two deletions through the watcher (under the limit of 3): released.
  for (const p of everyone.slice(0, 2)) await fx.remove(p.dn);
  for (const p of everyone.slice(0, 2)) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');

  // The third leaver arrives through the intake: still within the limit, delivered at once.
  const third = await postLeaver(intake, everyone[2]!.anchor);
  assert.equal(third.status, 202);
  assert.equal(third.body.held, undefined);
  assert.equal((await h.waitForEvents(everyone[2]!.anchor, 1))[0]!.kind, 'leaver');

  // The fourth, again through the intake, is one too many within the window: held, not delivered.
  const fourth = await postLeaver(intake, everyone[3]!.anchor);
  assert.equal(fourth.status, 202);
  const held = fourth.body.held as { batchId: string; reason: string };
  assert.ok(held?.batchId, JSON.stringify(fourth.body));
  assert.match(held.reason, /4 leavers within 15 min \(3 already released, 1 in this intake request\) exceed the limit of 3/);
  const pending = (await watcher.query(watcherStatusQuery)).pendingBatch!;
  assert.deepEqual([pending.batchId, pending.leavers, pending.sources], [held.batchId, 1, { intake: 1 }]);

  // A watcher deletion afterwards joins the same batch.
  await fx.remove(everyone[4]!.dn);
  await waitUntil('the watcher leaver to join', async () => ((await watcher.query(watcherStatusQuery)).pendingBatch?.leavers === 2 ? true : undefined));
  assert.deepEqual((await watcher.query(watcherStatusQuery)).pendingBatch?.sources, { intake: 1, watcher: 1 });
  await pollsPass(watcher, 1000);
  assert.deepEqual(await h.events(everyone[3]!.anchor), [], 'the held intake leaver waits');
  assert.deepEqual(await h.events(everyone[4]!.anchor), [], 'the held watcher leaver waits');

  // Anonymous and non-operator decisions are refused; an operator's approval releases both.
  await watcher.signal(approveBatchSignal, { operator: '', comment: 'who?' });
  const stranger = await guardDecideCommand(h.client, 'approve', 'p9', 'not an operator', held.batchId, watcher.workflowId);
  assert.equal(stranger.code, 1, stranger.text);
  assert.deepEqual(await h.events(everyone[3]!.anchor), []);
  const approved = await guardDecideCommand(h.client, 'approve', 'ops', 'contracts ended', held.batchId, watcher.workflowId);
  assert.equal(approved.code, 0, approved.text);
  assert.equal((await h.waitForEvents(everyone[3]!.anchor, 1))[0]!.eventId, fourth.body.eventId, 'the intake event itself is delivered');
  assert.equal((await h.waitForEvents(everyone[4]!.anchor, 1))[0]!.kind, 'leaver');
  assert.ok(h.audit.some((r) => r.action === 'guard-decision-refused' && r.actor === 'anonymous'));
  assert.ok(h.audit.some((r) => r.action === 'approve' && r.actor === 'ops'));
  // The intake's held leaver left no mark in the watcher's snapshot: the person is still in the directory, not "gone".
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
});

test('a per-source limit holds the intake earlier than the total; without a running guard an intake leaver gets 503 and nothing starts', async () => {
  const g = await setupGuardedWatcher(cleanups, 'guard-per-source', 6, { sources: { intake: { maxLeavers: 1 } } });
  const intake = await intakeFor(g);
  assert.equal((await postLeaver(intake, g.everyone[0]!.anchor)).body.held, undefined);
  const second = await postLeaver(intake, g.everyone[1]!.anchor);
  assert.match((second.body.held as { reason: string }).reason, /2 leavers from the intake within 15 min \(1 already released, 1 in this intake request\) exceed the limit of 1/);

  const orphaned = await intakeFor(g, 'no-such-guard-workflow');
  const refused = await postLeaver(orphaned, g.everyone[2]!.anchor);
  assert.equal(refused.status, 503);
  assert.match(String(refused.body.error), /mass-change guard is not available/);
  assert.match(String(refused.body.detail), /no-such-guard-workflow\) is not running/);
  await pollsPass(g.watcher, 600);
  assert.deepEqual(await g.h.events(g.everyone[2]!.anchor), [], 'nothing delivered without the guard');
});

test('fault: 90 % of the directory vanishes gradually; held as one batch, nothing after a reject, everything after an approval', async () => {
  const people = 200;
  const g = await setupGuardedWatcher(cleanups, 'guard-vanish', people, { maxLeavers: 2 }, { presenceScanInterval: 1000 });
  const { fx, h, watcher, everyone } = g;
  const anchorsOf = (list: typeof everyone) => list.map((p) => p.anchor);
  const released = async (anchors: string[]) => (await Promise.all(anchors.map((a) => h.events(a)))).filter((e) => e.length > 0).length;
  /** 10 deletions every 2 s, as a directory clean-up gone wrong would. */
  const vanish = async (list: typeof everyone) => {
    for (let i = 0; i < list.length; i += 10) {
      await Promise.all(list.slice(i, i + 10).map((p) => fx.remove(p.dn)));
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  // Phase 1: 90 vanish; the operator rejects.
  const first = everyone.slice(0, 90);
  await vanish(first);
  const heldFirst = await waitUntil('all 90 in one batch', async () => {
    const p = (await watcher.query(watcherStatusQuery)).pendingBatch;
    return p && p.leavers === 90 ? p : undefined;
  });
  assert.equal(await released(anchorsOf(first)), 0, '0 leavers before a decision');
  await watcher.signal(rejectBatchSignal, { batchId: heldFirst.batchId, operator: 'ops', comment: 'directory clean-up gone wrong' });
  await waitUntil('the reject to apply', async () => ((await watcher.query(watcherStatusQuery)).pendingBatch === null ? true : undefined));
  await pollsPass(watcher, 3000);
  assert.equal(await released(anchorsOf(first)), 0, 'none after a reject');

  // Phase 2: 90 more vanish (180 of 200 in all); the operator approves.
  const second = everyone.slice(90, 180);
  await vanish(second);
  const heldSecond = await waitUntil('the next 90 in one new batch', async () => {
    const p = (await watcher.query(watcherStatusQuery)).pendingBatch;
    return p && p.leavers === 90 ? p : undefined;
  });
  assert.notEqual(heldSecond.batchId, heldFirst.batchId);
  assert.equal(await released(anchorsOf(second)), 0, '0 leavers before approval');
  await watcher.signal(approveBatchSignal, { batchId: heldSecond.batchId, operator: 'ops', comment: 'confirmed with HR' });
  await waitUntil('every approved leaver delivered', async () => ((await released(anchorsOf(second))) === 90 ? true : undefined), 90_000);
  for (const p of second.slice(0, 5)) assert.deepEqual((await h.events(p.anchor)).map((e) => e.kind), ['leaver']);
  await pollsPass(watcher, 1000);
  assert.equal(await released(anchorsOf(first)), 0, 'the rejected ones stay untouched after the other approval');
  assert.equal(await released(anchorsOf(everyone.slice(180))), 0, 'the people still there are untouched');
});
