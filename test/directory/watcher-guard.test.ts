import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectorySource } from '../../directory';
import { waitUntil } from './support/watcher-harness';
import { guardState, pollsPass, setupGuardedWatcher } from './support/guarded-watcher';
import { approveBatchSignal, decideBatchUpdate, rejectBatchSignal, watcherStatusQuery } from '../../workflows/directory-watcher';
import { GUARD_STATES } from '../../lib/search-attributes';
import { guardDecideCommand, guardStatusCommand } from '../../cli/guard-commands';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('deleting most of the directory holds every leaver for approval while joiners still flow; approving releases them once', async () => {
  const { fx, h, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-approve', 10);
  const doomed = everyone.slice(0, 8);
  for (const p of doomed) await fx.remove(p.dn);

  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.equal(held.leavers, 8);
  assert.match(held.reason, /leavers in one poll exceed the limit of 3|directory returned 3 people, last snapshot had 11/);
  assert.equal(await guardState(watcher), GUARD_STATES.awaitingApproval);
  const hold = h.audit.find((r) => r.action === 'guard-hold');
  assert.ok(hold, 'the hold is audited');
  assert.equal(hold.reason, held.reason);

  await fx.addPerson('newbie');
  const newbie = await waitUntil('newbie', async () => (await h.source.findPerson({ username: 'newbie' })) ?? undefined);
  const joined = await h.waitForEvents(newbie.anchor, 1);
  assert.equal(joined[0]!.kind, 'joiner', 'joiners keep flowing while leavers are held');
  await pollsPass(watcher, 1500);
  for (const p of doomed) assert.deepEqual(await h.events(p.anchor), [], `no leaver for ${p.username} before approval`);

  await watcher.signal(approveBatchSignal, { batchId: held.batchId, operator: 'ops', comment: 'reorg: contractors offboarded' });
  for (const p of doomed) {
    const events = await h.waitForEvents(p.anchor, 1);
    assert.deepEqual(events.map((e) => e.kind), ['leaver']);
  }
  const status = await waitUntil('the batch to clear', async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.pendingBatch === null ? s : undefined;
  });
  assert.equal(status.decisions[0]?.operator, 'ops');
  await waitUntil('guard state clear', async () => (await guardState(watcher)) === GUARD_STATES.clear || undefined);
  const approval = h.audit.find((r) => r.action === 'approve');
  assert.equal(approval?.actor, 'ops');
  assert.equal(approval?.reason, 'reorg: contractors offboarded');
  await pollsPass(watcher, 1500);
  for (const p of doomed) assert.equal((await h.events(p.anchor)).length, 1, `exactly one leaver for ${p.username}`);
  for (const p of everyone.slice(8)) assert.deepEqual(await h.events(p.anchor), []);
});

test('an empty base DN holds everyone; decisions by nobody or by someone the directory cannot vouch for are refused and audited, never dropped', async () => {
  const { fx, h, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-reject', 6);
  const emptyBase = `ou=empty,${fx.root}`;
  await fx.client.add(emptyBase, { objectClass: 'organizationalUnit', ou: 'empty' });
  const real = h.source.current;
  const wrong = createDirectorySource(fx.config({ people: { baseDn: emptyBase, scope: 'sub' } }), process.env);
  cleanups.push(() => wrong.close());
  h.source.current = wrong;
  try {
    const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
    const snapshot = Number(/directory returned 0 people, last snapshot had (\d+)/.exec(held.reason)?.[1]);
    assert.ok(snapshot >= 7 && held.leavers >= 7, `${held.leavers} held: ${held.reason}`);
    await watcher.signal(rejectBatchSignal, { operator: '', comment: 'who am I' });
    // The operator is gone from this (misconfigured) directory too: nobody can vouch for them.
    await watcher.signal(rejectBatchSignal, { operator: 'ops', comment: 'wrong base DN after a config change' });
    const refused = await waitUntil('two refusals', async () => {
      const s = await watcher.query(watcherStatusQuery);
      return s.refusals.length >= 2 ? s : undefined;
    });
    assert.deepEqual(refused.refusals.map((r) => r.reason).sort(), ['an anonymous decision is refused: name the operator', 'operator ops is not in the directory']);
    assert.equal(refused.pendingBatch?.batchId, held.batchId, 'the batch still waits');
    assert.deepEqual(h.audit.filter((r) => r.action === 'guard-decision-refused').map((r) => r.actor).sort(), ['anonymous', 'ops']);
  } finally {
    // Back to the real directory before anything is closed: a poll must never be left reading a closed source.
    h.source.current = real;
  }
  await waitUntil('the batch to clear as everyone is back', async () => ((await watcher.query(watcherStatusQuery)).pendingBatch === null ? true : undefined));
  await pollsPass(watcher, 1500);
  for (const p of everyone) assert.deepEqual(await h.events(p.anchor), [], `nothing started for ${p.username}`);
  await fx.remove(everyone[0]!.dn);
  const events = await h.waitForEvents(everyone[0]!.anchor, 1);
  assert.equal(events[0]!.kind, 'leaver', 'a held person who really leaves later is a leaver as usual');
});

test('the decideBatch update answers synchronously: a non-operator is refused, an operator\'s reject is accepted', async () => {
  const { fx, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-update', 8);
  for (const p of everyone.slice(0, 5)) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  const refusedBy = (pattern: RegExp) => (err: unknown) => pattern.test(String((err as { cause?: { message?: string } }).cause?.message));
  await assert.rejects(watcher.executeUpdate(decideBatchUpdate, { args: [{ decision: 'approve', operator: ' ', comment: '' }] }), refusedBy(/an operator identity is required/));
  await assert.rejects(watcher.executeUpdate(decideBatchUpdate, { args: [{ decision: 'approve', operator: 'ops', comment: '', batchId: 'nope' }] }), refusedBy(/batch nope is not the one held/));
  const stranger = await watcher.executeUpdate(decideBatchUpdate, { args: [{ decision: 'approve', operator: everyone[6]!.username, comment: 'me' }] });
  assert.equal(stranger.accepted, false);
  assert.match(stranger.message, /in none of the operator groups \(idsync-operators\)/);
  const answer = await watcher.executeUpdate(decideBatchUpdate, { args: [{ decision: 'reject', operator: 'ops', comment: 'not now', batchId: held.batchId }] });
  assert.deepEqual([answer.accepted, answer.batchId], [true, held.batchId]);
  assert.match(answer.message, /rejected: not now/);
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
});

test('once the guard has tripped, a leaver seen later joins the held batch and waits for the same decision', async () => {
  const { fx, h, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-joined', 10);
  for (const p of everyone.slice(0, 6)) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.equal(held.leavers, 6);
  const late = everyone[8]!;
  await fx.replace(late.dn, 'employeeType', ['disabled']);
  const joined = await waitUntil('the late leaver to join the batch', async () => {
    const pending = (await watcher.query(watcherStatusQuery)).pendingBatch;
    return pending && pending.leavers === 7 ? pending : undefined;
  });
  assert.equal(joined.batchId, held.batchId, 'one held batch, not a second one');
  assert.ok(h.audit.some((r) => r.action === 'guard-hold-joined'), 'the join is audited');
  await pollsPass(watcher, 1000);
  assert.deepEqual(await h.events(late.anchor), [], 'not sent while the operator decides');

  await watcher.signal(approveBatchSignal, { operator: 'ops', comment: 'expected' });
  const lateEvents = await h.waitForEvents(late.anchor, 1);
  assert.deepEqual(lateEvents.map((e) => [e.kind, e.reason]), [['leaver', 'account disabled']]);
  for (const p of everyone.slice(0, 6)) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
});

test('deletions split over several polls count together in the window: the ones after the limit are held', async () => {
  const { fx, h, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-window', 10);
  const first = everyone.slice(0, 3);
  for (const p of first) await fx.remove(p.dn);
  for (const p of first) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver', 'three are within the limit and flow');
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch, null);
  const second = everyone.slice(3, 5);
  for (const p of second) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  assert.match(held.reason, /5 leavers within 15 min \(3 already released, 2 in this poll\) exceed the limit of 3/);
  await pollsPass(watcher, 1500);
  for (const p of second) assert.deepEqual(await h.events(p.anchor), [], `no leaver for ${p.username} before a decision`);
  await watcher.signal(approveBatchSignal, { operator: 'ops', comment: 'planned' });
  for (const p of second) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
});

test('reject means "not now": people still gone after the recheck period come back as a new batch', async () => {
  const { fx, h, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-recheck', 8, { rejectRecheckAfter: 2000 });
  const doomed = everyone.slice(0, 5);
  for (const p of doomed) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  await watcher.signal(rejectBatchSignal, { batchId: held.batchId, operator: 'ops', comment: 'check with HR first' });
  await waitUntil('the batch to clear', async () => ((await watcher.query(watcherStatusQuery)).pendingBatch === null ? true : undefined));
  const again = await waitUntil('the rejected people held again', async () => {
    const s = await watcher.query(watcherStatusQuery);
    return s.pendingBatch && s.pendingBatch.batchId !== held.batchId ? s.pendingBatch : undefined;
  });
  assert.equal(again.leavers, 5, 'nothing is forgotten: the same people, in a new batch');
  for (const p of doomed) assert.deepEqual(await h.events(p.anchor), [], 'still nothing sent without a human');
  assert.equal(h.audit.filter((r) => r.action === 'guard-hold').length, 2, 'the second hold is audited too');
  await watcher.signal(approveBatchSignal, { batchId: again.batchId, operator: 'ops', comment: 'HR confirmed' });
  for (const p of doomed) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
});

test('idsync guard status / approve from the CLI commands: the held batch, why, and a synchronous answer', async () => {
  const { fx, h, watcher, everyone } = await setupGuardedWatcher(cleanups, 'guard-cli', 8);
  for (const p of everyone.slice(0, 5)) await fx.remove(p.dn);
  const held = await waitUntil('a pending batch', async () => (await watcher.query(watcherStatusQuery)).pendingBatch ?? undefined);
  const status = await guardStatusCommand(h.client, watcher.workflowId);
  assert.match(status.text, new RegExp(`HELD: batch ${held.batchId} since .*: 5 leaver\\(s\\) wait for an operator`));
  assert.ok(status.text.includes(`why: ${held.reason}`), status.text);
  assert.match(status.text, new RegExp(`watcher ${watcher.workflowId}`));
  const refused = await guardDecideCommand(h.client, 'approve', 'nobody-here', 'x', undefined, watcher.workflowId);
  assert.equal(refused.code, 1);
  assert.match(refused.text, /^refused: operator nobody-here is not in the directory/);
  const approved = await guardDecideCommand(h.client, 'approve', 'ops', 'planned offboarding', held.batchId, watcher.workflowId);
  assert.equal(approved.code, 0, approved.text);
  for (const p of everyone.slice(0, 5)) assert.equal((await h.waitForEvents(p.anchor, 1))[0]!.kind, 'leaver');
  const after = await guardStatusCommand(h.client, watcher.workflowId);
  assert.match(after.text, /clear: nothing is held/);
  assert.match(after.text, new RegExp(`decided: batch ${held.batchId} approved by ops`));
  assert.match(after.text, /refused: nobody-here/);
});
