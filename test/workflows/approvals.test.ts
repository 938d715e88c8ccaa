/**
 * Approvals of privileged grants on the real Temporal dev server: held while the rest proceeds,
 * approve and reject by signal or update, unauthorised and self approvals refused and audited,
 * and a leaver superseding a pending approval.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { readAuditLog } from '../../audit';
import { approveSignal, decideApprovalUpdate, runStatusQuery, runWorkflowId } from '../../workflows/person-messages';
import type { IdentityEvent } from '../../domain/person';
import { approvalsCommand, runsCommand } from '../../cli/waiting-commands';
import type { PolicyConfig } from '../../policy/config';
import { personWorkflowId } from '../../lib/names';
import { addPerson, createFixture, event, eventually, scimAccount, sendEvent, startTestStack, uniqueQueues, waitForOutcome, type Fixture, type TestStack } from './support/harness';

let fx: Fixture;
let client: Client;
let stack: TestStack | undefined;
let bossAnchor: string;
const queues = uniqueQueues('approvals');

before(async () => {
  fx = await createFixture('wf-approvals');
  stack = await startTestStack(fx, queues);
  client = stack.client;
  bossAnchor = await addPerson(fx, 'the.boss', ['staff']);
  await addPerson(fx, 'appr.member', ['access-approvers']);
  await addPerson(fx, 'ran.dom', ['staff']);
});

after(async () => {
  await (stack ? stack.close() : fx?.close());
});

async function privilegedJoiner(uid: string): Promise<{ anchor: string; ev: IdentityEvent; run: ReturnType<Client['workflow']['getHandle']> }> {
  const anchor = await addPerson(fx, uid, ['support', 'desk-admins'], { manager: fx.ldap.personDn('the.boss') });
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  const run = client.workflow.getHandle(runWorkflowId('joiner', anchor, ev.eventId));
  await eventually('approval pending', async () => {
    const view = await run.query(runStatusQuery).catch(() => undefined);
    return view?.approval?.state === 'pending' ? view : undefined;
  });
  return { anchor, ev, run };
}

test('privileged grant waits for the manager while the rest is applied; refusals are audited and ignored', async () => {
  const { anchor, ev, run } = await privilegedJoiner('priv.one');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'priv.one@example.com'))?.groups, ['Agents'], 'unprivileged grants do not wait');
  const pending = await run.query(runStatusQuery);
  assert.deepEqual(pending.approval?.grants.map((g) => `${g.target}/${g.name}/${g.rule}`), ['desk/Admins/desk-admins']);
  assert.ok(pending.approval?.deadline && pending.approval.requestedAt);

  await run.signal(approveSignal, { approver: 'ran.dom', comment: 'looks fine' });
  await assert.rejects(run.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'priv.one' }] }), WorkflowUpdateFailedError, 'self-approval is refused by the validator');
  const unauthorised = await run.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'ran.dom' }] });
  assert.equal(unauthorised.accepted, false);
  assert.match(unauthorised.message, /ran\.dom/);
  await run.signal(approveSignal, { approver: 'PRIV.ONE' });
  assert.equal((await run.query(runStatusQuery)).approval?.state, 'pending', 'refused decisions change nothing');

  const answer = await run.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'the.boss', comment: 'needs admin for the migration' }] });
  assert.deepEqual(answer, { accepted: true, state: 'approved', message: 'approved by the.boss' });
  assert.equal((await waitForOutcome(client, anchor, ev.eventId)).outcome, 'converged');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'priv.one@example.com'))?.groups, ['Admins', 'Agents']);

  const records = (await readAuditLog(fx.auditPath)).filter((r) => r.person === anchor);
  const refused = records.filter((r) => r.action === 'approval-refused').map((r) => r.actor);
  assert.ok(refused.includes('ran.dom') && refused.some((a) => a.toLowerCase() === 'priv.one'), `refusals audited: ${refused}`);
  const approval = records.find((r) => r.action === 'approve');
  assert.equal(approval?.actor, 'the.boss');
  assert.match(approval?.reason ?? '', /needs admin for the migration/);
  assert.ok(records.some((r) => r.action === 'grant' && r.target === 'desk' && /approved: the\.boss/.test(r.reason ?? '')), 'the grant carries the approval');
  void bossAnchor;
});

test('a member of an approver group can reject; nothing privileged is granted', async () => {
  const { anchor, ev, run } = await privilegedJoiner('priv.two');
  const answer = await run.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'reject', approver: 'appr.member', comment: 'not needed' }] });
  assert.equal(answer.accepted, true);
  assert.equal(answer.state, 'rejected');
  // Decided: the validator refuses (or the run has already finished).
  await assert.rejects(run.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'the.boss' }] }));
  assert.equal((await waitForOutcome(client, anchor, ev.eventId)).outcome, 'converged');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'priv.two@example.com'))?.groups, ['Agents']);
});

test('a leaver supersedes a pending approval', async () => {
  const { anchor, ev } = await privilegedJoiner('priv.three');
  await fx.ldap.remove(fx.ldap.personDn('priv.three'));
  const leaver = event(anchor, 'leaver', 'entry deleted');
  await sendEvent(client, queues, leaver);
  assert.equal((await waitForOutcome(client, anchor, ev.eventId)).outcome, 'superseded');
  assert.equal((await waitForOutcome(client, anchor, leaver.eventId)).outcome, 'converged');
  const account = await scimAccount(fx.emulators, 'desk', 'priv.three@example.com');
  assert.equal(account?.active, false);
  assert.deepEqual(account?.groups.includes('Admins'), false);
});

test('an approve signal from an approver group member is checked and applied', async () => {
  const { anchor, ev, run } = await privilegedJoiner('priv.four');
  await run.signal(approveSignal, { approver: 'appr.member', comment: 'on call this week' });
  assert.equal((await waitForOutcome(client, anchor, ev.eventId)).outcome, 'converged');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'priv.four@example.com'))?.groups, ['Admins', 'Agents']);
  const approval = (await readAuditLog(fx.auditPath)).find((r) => r.person === anchor && r.action === 'approve');
  assert.equal(approval?.actor, 'appr.member');
  assert.match(approval?.reason ?? '', /approver group access-approvers/);
});

test('what waits is listed (idsync approvals, --as filters to what that approver may decide); an approval signalled to the person workflow reaches its run', async () => {
  const { anchor, ev, run } = await privilegedJoiner('priv.listed');
  const all = await approvalsCommand(client, fx.runtime.directory, fx.config.policy as PolicyConfig);
  assert.ok((all.json as { approvals: { run: string }[] }).approvals.some((a) => a.run === run.workflowId), all.text);
  assert.match(all.text, /desk: group Admins \(rule desk-admins\)/);
  const boss = await approvalsCommand(client, fx.runtime.directory, fx.config.policy as PolicyConfig, 'the.boss');
  assert.ok((boss.json as { approvals: { run: string }[] }).approvals.some((a) => a.run === run.workflowId), 'the manager may decide it');
  const stranger = await approvalsCommand(client, fx.runtime.directory, fx.config.policy as PolicyConfig, 'ran.dom');
  assert.ok(!(stranger.json as { approvals: { run: string }[] }).approvals.some((a) => a.run === run.workflowId), 'a colleague may not');
  const nobody = await approvalsCommand(client, fx.runtime.directory, fx.config.policy as PolicyConfig, 'no.such.person');
  assert.equal(nobody.code, 1);

  // The approver signals the person workflow, not the run: the run gets it and checks the approver as always.
  const personWorkflow = client.workflow.getHandle(personWorkflowId(anchor));
  await personWorkflow.signal(approveSignal, { approver: 'ran.dom', comment: 'via the person' });
  await eventually('the refusal reaches the run', async () => ((await run.query(runStatusQuery)).approval?.refused.some((r) => r.approver === 'ran.dom') ? true : undefined));
  await personWorkflow.signal(approveSignal, { approver: 'the.boss', comment: 'via the person' });
  assert.equal((await waitForOutcome(client, anchor, ev.eventId)).outcome, 'converged');
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'priv.listed@example.com'))?.groups, ['Admins', 'Agents']);

  // Nothing waits any more: a further signal is refused and audited, not dropped.
  await personWorkflow.signal(approveSignal, { approver: 'the.boss', comment: 'again' });
  await eventually('the refusal audited', async () =>
    (await readAuditLog(fx.auditPath)).some((r) => r.person === anchor && r.action === 'approval-refused' && /no run of this person waits/.test(r.reason ?? '')) ? true : undefined,
  );
});

test('idsync runs --partial lists a person left short, with why and the next retry', async () => {
  const anchor = await addPerson(fx, 'no.mail.here', ['support']);
  await fx.ldap.replace(fx.ldap.personDn('no.mail.here'), 'mail', []);
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  const outcome = await waitForOutcome(client, anchor, ev.eventId);
  assert.equal(outcome.outcome, 'partial', outcome.message);
  const listed = await eventually('listed as partial', async () => {
    const res = await runsCommand(client, 'partial');
    return (res.json as { people: { person: string }[] }).people.some((p) => p.person === anchor) ? res : undefined;
  });
  assert.match(listed.text, new RegExp(`${anchor}: .*desk`));
});
