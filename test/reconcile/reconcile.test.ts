/**
 * Reconciliation end to end on the real Temporal dev server, the real slapd and the Salesforce and
 * SCIM emulators over HTTP through jsforce and the SCIM client: accounts changed or created directly
 * in the emulators are found, classified, reported, and (with apply) corrected through the person
 * workflows, or held by the mass-change guard.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToStoredJson } from '../histories/history-files';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { defineSearchAttributeKey, SearchAttributeType, type ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReconcileActivities, type PageResult } from '../../activities/reconcile';
import { testEnv, uniqueId } from '../support/env';
import { pollUntil } from '../support/poll';
import { readAuditLog } from '../../audit';
import { personWorkflowId, SIGNALS } from '../../lib/names';
import type { IdentityEvent } from '../../domain/person';
import type { ReconcileRow } from '../../policy/reconcile';
import { reconcileStatusQuery, type ReconcileSummary } from '../../workflows/reconcile';
import { formatReconcileSummary, reconcileCommand } from '../../cli/reconcile';
import { personStatusQuery } from '../../workflows/person-messages';
import { buildRuntime, closeRuntime } from '../../app/build-runtime';
import { decideBatchUpdate, rejectBatchSignal, watcherStatusQuery } from '../../workflows/directory-watcher';
import { standInEventsQuery } from './support/stand-in';
import {
  addPerson,
  countStreamedAccounts,
  createFixture,
  provisionDirectly,
  reconcileInput,
  startStandIn,
  startTargetWorkerProcess,
  startGuard,
  startWorkers,
  uniqueQueues,
  type Fixture,
  type Queues,
} from './support/fixture';

let fx: Fixture;
let connection: Connection;
let native: NativeConnection;
let client: Client;
const stops: (() => Promise<void>)[] = [];
const queues = uniqueQueues('reconcile');
/** Same workflows and activities, asking a mass-change guard that holds every correction for an operator (maxLeavers 0). */
const guardedQueues: Queues = uniqueQueues('reconcile-guarded', queues.orchestration);
let strictGuard: Awaited<ReturnType<typeof startGuard>>;

const people: Record<string, string> = {};
const accounts: Record<string, string> = {};

before(async () => {
  fx = await createFixture();
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
  const workers = await startWorkers(native, client, fx.runtime, queues, { workflows: true });
  stops.push(() => workers.shutdown());
  const guarded = await startWorkers(native, client, fx.runtime, guardedQueues, { workflows: false });
  stops.push(() => guarded.shutdown());
  // The operator who may decide on held batches: an enabled member of an operator group.
  await addPerson(fx, 'ops-lead', ['idsync-operators'], { departmentNumber: 'Operations' });
  const guard = await startGuard(native, client, fx, queues, {});
  strictGuard = await startGuard(native, client, fx, guardedQueues, { maxLeavers: 0 });
  stops.push(() => guard.shutdown(), () => strictGuard.shutdown());
  await arrange();
});

after(async () => {
  for (const anchor of Object.values(people)) await client?.workflow.getHandle(personWorkflowId(anchor)).terminate('test over').catch(() => undefined);
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await native?.close();
  await connection?.close();
  await fx?.close();
});

const sfUser = (id: string) => fx.salesforce.store.get('User', id);

/** Every situation, set up the way it arises in practice: by idsync, by hand in the target, or by both. */
async function arrange(): Promise<void> {
  const conn = await fx.jsforce();
  const profileId = String(fx.salesforce.store.find('Profile', (p) => p.Name === 'Standard User')!.Id);
  const createUser = async (username: string, email: string) => {
    const fields = { Username: username, LastName: 'Hand-made', Email: email, Alias: 'hand', TimeZoneSidKey: 'GMT', LocaleSidKey: 'en_US', EmailEncodingKey: 'UTF-8', LanguageLocaleKey: 'en_US', ProfileId: profileId };
    const result = (await conn.sobject('User').create(fields)) as { id: string };
    return result.id;
  };

  // drifted: provisioned by the real person workflow, then changed by hand in Salesforce.
  people.drift = await addPerson(fx, 'rdrift', ['sales']);
  await client.workflow.signalWithStart('personLifecycleWorkflow', {
    workflowId: personWorkflowId(people.drift),
    taskQueue: queues.orchestration,
    args: [{ anchor: people.drift, options: { directoryQueue: queues.options.directoryQueue, targetQueuePrefix: queues.options.targetQueuePrefix } }],
    signal: SIGNALS.identityEvent,
    signalArgs: [{ eventId: uniqueId('joiner'), kind: 'joiner', anchor: people.drift, source: 'ldap', observedAt: new Date().toISOString(), reason: 'test joiner' } satisfies IdentityEvent],
  });
  const provisioned = await pollUntil('the joiner to create the Salesforce user', async () => fx.salesforce.store.find('User', (u) => u.FederationIdentifier === people.drift && u.Department === 'Sales'), { timeoutMs: 90_000 });
  accounts.drift = String(provisioned.Id);
  await pollUntil('the joiner to finish', async () => {
    const status = await client.workflow.getHandle(personWorkflowId(people.drift)).query(personStatusQuery);
    return status.recent.some((o) => o.kind === 'joiner' && o.outcome === 'converged') || undefined;
  }, { timeoutMs: 90_000, retryErrors: true });
  sfUser(accounts.drift).Department = 'Golf';

  // unlinked: an account idsync could manage, anchored to the person, that no person workflow links.
  people.unlinked = await addPerson(fx, 'runlinked', ['support']);
  accounts.unlinked = await provisionDirectly(fx, people.unlinked, 'desk');
  await startStandIn(client, queues, people.unlinked, []);

  // link first: a hand-made user whose username matches nobody, linked by the person's workflow.
  people.linked = await addPerson(fx, 'rlinked', ['sales']);
  accounts.linked = await createUser('legacy-login@corp.example.com', 'legacy@elsewhere.example');
  await startStandIn(client, queues, people.linked, [`crm:${accounts.linked}`]);

  // orphan: nobody links, anchors or matches it.
  accounts.orphan = await createUser('orphan-login@corp.example.com', 'orphan@elsewhere.example');

  // disputed (two people for one account): both workflows link the same SCIM user.
  people.claimA = await addPerson(fx, 'rclaima', ['support']);
  people.claimB = await addPerson(fx, 'rclaimb', ['support']);
  accounts.claimed = await provisionDirectly(fx, people.claimA, 'desk');
  await startStandIn(client, queues, people.claimA, [`desk:${accounts.claimed}`]);
  await startStandIn(client, queues, people.claimB, [`desk:${accounts.claimed}`]);

  // disputed (two accounts for one person): the real one and a hand-made one with the person's e-mail.
  people.twice = await addPerson(fx, 'rtwice', ['sales']);
  accounts.twiceA = await provisionDirectly(fx, people.twice, 'crm');
  accounts.twiceB = await createUser('rtwice-second@corp.example.com', 'rtwice@example.com');

  // inactive: linked and in sync, but nobody logged in for two years (Salesforce LastLoginDate).
  people.idle = await addPerson(fx, 'ridle', ['sales']);
  accounts.idle = await provisionDirectly(fx, people.idle, 'crm');
  sfUser(accounts.idle).LastLoginDate = new Date(Date.now() - 2 * 365 * 86_400_000).toISOString().replace('Z', '+0000');
  await startStandIn(client, queues, people.idle, [`crm:${accounts.idle}`]);

  // privileged grant with no approval on record: granted by hand, policy marks it privileged.
  people.admin = await addPerson(fx, 'radmin', ['sales', 'crm-admins']);
  const adminDesired = await provisionDirectly(fx, people.admin, 'crm');
  accounts.admin = adminDesired;
  await startStandIn(client, queues, people.admin, [`crm:${accounts.admin}`]);

  // person gone, account still active: anchored to someone the directory no longer has.
  const gone = await addPerson(fx, 'rgone', ['sales']);
  accounts.gone = await provisionDirectly(fx, gone, 'crm');
  await fx.ldap.remove(fx.ldap.personDn('rgone'));

  // Visibility is eventually consistent: wait until reconciliation can see every link.
  const LINKS = defineSearchAttributeKey('IdsyncLinks', SearchAttributeType.KEYWORD_LIST);
  await pollUntil('the stand-ins\u2019 links in visibility', async () => {
    let seen = 0;
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) if ((wf.typedSearchAttributes.get(LINKS) ?? []).length > 0 && Object.values(people).some((a) => wf.workflowId === personWorkflowId(a))) seen++;
    return seen >= 5 || undefined;
  }, { timeoutMs: 30_000 });
}

async function reconcile(q: Queues, apply: boolean, targets?: string[]): Promise<{ summary: ReconcileSummary; rows: Map<string, ReconcileRow> }> {
  const summary = await client.workflow.execute('reconcileWorkflow', { workflowId: uniqueId('reconcile-run'), taskQueue: q.orchestration, args: [reconcileInput(q, apply, targets)] });
  return { summary: summary as ReconcileSummary, rows: reportRows(summary as ReconcileSummary) };
}

function reportRows(summary: ReconcileSummary): Map<string, ReconcileRow> {
  const report = JSON.parse(readFileSync(summary.reportJson!, 'utf8')) as { rows: ReconcileRow[] };
  return new Map(report.rows.map((r) => [`${r.target}:${r.accountId}`, r]));
}

const eventsOf = (anchor: string) => client.workflow.getHandle(personWorkflowId(anchor)).query(standInEventsQuery);

test('report only: every situation is found and written to JSON and CSV; nothing is touched', async () => {
  const writesBefore = fx.salesforce.store.writes;
  const { summary, rows } = await reconcile(queues, false);
  const situation = (key: string) => rows.get(key)?.situation;
  assert.match(rows.get(`crm:${accounts.drift}`)?.detail ?? '', /attribute:Department/);
  assert.ok(['unlinked', 'drifted'].includes(situation(`crm:${accounts.drift}`)!), 'changed by hand: drift (unlinked until the person workflow writes links)');
  assert.equal(situation(`desk:${accounts.unlinked}`), 'unlinked');
  assert.equal(rows.get(`desk:${accounts.unlinked}`)?.reaction, 'link');
  assert.equal(situation(`crm:${accounts.linked}`), 'drifted', 'the link wins: classified against its person, not as an orphan');
  assert.equal(rows.get(`crm:${accounts.linked}`)?.personAnchor, people.linked);
  assert.equal(situation(`crm:${accounts.orphan}`), 'orphan');
  assert.equal(rows.get(`crm:${accounts.orphan}`)?.reaction, 'report');
  assert.equal(situation(`desk:${accounts.claimed}`), 'disputed');
  assert.equal(situation(`crm:${accounts.twiceA}`), 'disputed');
  assert.equal(situation(`crm:${accounts.twiceB}`), 'disputed');
  assert.equal(situation(`crm:${accounts.idle}`), 'inactive');
  assert.equal(situation(`crm:${accounts.admin}`), 'unapprovedPrivileged');
  assert.equal(situation(`crm:${accounts.gone}`), 'goneActive');
  assert.equal(summary.applied, false);
  assert.ok(summary.targets.crm!.accounts >= 8 && summary.targets.desk!.accounts >= 2, JSON.stringify(summary.targets));
  assert.equal(summary.targets.crm!.situations.orphan! >= 1, true);
  assert.ok(!JSON.stringify(summary).includes('"rows"'), 'the workflow result carries counts, never accounts');

  const csv = readFileSync(summary.reportCsv!, 'utf8').trim().split('\n');
  assert.equal(csv[0], 'target,accountId,situation,personAnchor,reaction,username,detail,also');
  assert.equal(csv.length - 1, rows.size);
  for (const row of rows.values()) {
    const withoutUsername = csv.find((line) => line.startsWith(`${row.target},${row.accountId},`))!.replace(row.username, '');
    assert.ok(!withoutUsername.includes('@'), `no e-mail address beyond the username: ${withoutUsername}`);
  }
  assert.match(formatReconcileSummary(summary), /crm: \d+ account\(s\)[\s\S]*orphan\s+\d+/);

  assert.equal(fx.salesforce.store.writes, writesBefore, 'a report-only run writes nothing');
  assert.deepEqual(await eventsOf(people.unlinked), [], 'and delivers nothing');
  const audit = await readAuditLog(fx.runtime.config.audit.path);
  assert.ok(audit.some((r) => r.action === 'reconcile-report' && r.reason?.includes(summary.runKey)));
  assert.ok(!existsSync(`${fx.scratch}/reconcile/.runs/${summary.runKey}`), 'working files are removed, the report stays');
});

test('apply: drift corrected through the person workflow, unlinked and linked people get a sync; orphans and disputes untouched', async () => {
  const { summary } = await reconcile(queues, true);
  assert.equal(summary.applied, true);
  assert.equal(summary.held, undefined);
  await pollUntil('Department corrected by the person workflow', async () => sfUser(accounts.drift).Department === 'Sales' || undefined, { timeoutMs: 90_000 });

  const runEvent = async (anchor: string) => (await eventsOf(anchor)).find((e) => e.eventId === `reconcile-${summary.runKey}-${anchor}`);
  for (const who of ['unlinked', 'linked']) {
    const ev = await runEvent(people[who]!);
    assert.equal(ev?.kind, 'sync', `${who}: ${JSON.stringify(ev)}`);
    assert.equal(ev?.source, 'reconcile');
  }
  for (const who of ['claimA', 'claimB', 'idle', 'admin']) assert.equal(await runEvent(people[who]!), undefined, `${who} is only reported`);
  const twiceWorkflow = await client.workflow.getHandle(personWorkflowId(people.twice)).describe().catch(() => undefined);
  assert.equal(twiceWorkflow, undefined, 'a disputed person gets no event');

  const orphan = sfUser(accounts.orphan);
  assert.equal(orphan.IsActive, true);
  assert.equal(orphan.Username, 'orphan-login@corp.example.com');
  assert.notEqual(fx.salesforce.store.find('UserLogin', (l) => l.UserId === accounts.orphan)?.IsFrozen, true, 'the orphan is not frozen');
  assert.equal(sfUser(accounts.gone).IsActive, true, 'person gone: reported by default, not suspended');
  const audit = await readAuditLog(fx.runtime.config.audit.path);
  assert.ok(audit.some((r) => r.action === 'reconcile-finished' && r.reason?.includes(summary.runKey)));
  await record(summary.runKey, 'reconcile-applied-by-guard');
});

test('more corrections than the mass-change guard allows: held by the one guard until an operator decides there; an anonymous decision is refused and audited', async () => {
  const workflowId = uniqueId('reconcile-guarded');
  const handle = await client.workflow.start('reconcileWorkflow', { workflowId, taskQueue: guardedQueues.orchestration, args: [reconcileInput(guardedQueues, true)] });
  const status = await pollUntil('the run to hold', async () => {
    const s = await handle.query(reconcileStatusQuery);
    return s.phase === 'awaiting-approval' ? s : undefined;
  }, { timeoutMs: 120_000, retryErrors: true });
  assert.match(status.holdReason ?? '', /corrections and suspensions in one reconciliation run exceed the limit of 0/);
  const described = await handle.describe();
  assert.equal(described.typedSearchAttributes.get(defineSearchAttributeKey('IdsyncGuardState', SearchAttributeType.KEYWORD)), 'awaiting-approval');
  assert.ok(existsSync(reportFileOf(workflowId)), 'the report is written before the hold');
  const guardStatus = await strictGuard.handle.query(watcherStatusQuery);
  assert.equal(guardStatus.pendingBatch?.sources?.reconcile, guardStatus.pendingBatch?.leavers, 'the guard lists the run\'s corrections in its held batch');

  // A decision sent to the run itself is not how it is released: only the guard's operators decide.
  await handle.signal('rejectBatch', { operator: 'ops-lead', comment: 'sent to the wrong workflow' });
  await strictGuard.handle.signal(rejectBatchSignal, { operator: '', comment: 'anonymous' });
  const refused = await strictGuard.handle.executeUpdate(decideBatchUpdate, { args: [{ decision: 'approve', operator: 'stranger', comment: 'not an operator' }] });
  assert.equal(refused.accepted, false);
  assert.equal((await handle.query(reconcileStatusQuery)).phase, 'awaiting-approval', 'refused decisions release nothing');
  const answer = await strictGuard.handle.executeUpdate(decideBatchUpdate, { args: [{ decision: 'reject', operator: 'ops-lead', comment: 'not during the audit' }] });
  assert.equal(answer.accepted, true, answer.message);
  const summary = (await handle.result()) as ReconcileSummary;
  assert.equal(summary.applied, false);
  assert.deepEqual(summary.held?.decision, { approved: false, operator: 'ops-lead', comment: 'not during the audit' });
  assert.equal((await eventsOf(people.unlinked)).filter((e) => e.eventId.includes(workflowId)).length, 0, 'nothing delivered');
  const audit = await readAuditLog(fx.runtime.config.audit.path);
  assert.ok(audit.some((r) => r.action === 'guard-hold' && JSON.stringify(r.after).includes(workflowId)));
  assert.ok(audit.some((r) => r.action === 'guard-decision-refused' && r.actor === 'anonymous'));
  assert.ok(audit.some((r) => r.action === 'guard-decision-refused' && r.actor === 'stranger'));
  assert.ok(audit.some((r) => r.action === 'reject' && r.rule === 'mass-change-guard' && r.actor === 'ops-lead' && r.reason?.includes('not during the audit')));
  await record(workflowId, 'reconcile-held-by-guard');
});

/** IDSYNC_RECORD_HISTORIES=1 keeps this run's history for test/reconcile/replay.test.ts. */
async function record(workflowId: string, name: string): Promise<void> {
  if (process.env.IDSYNC_RECORD_HISTORIES !== '1') return;
  const dir = join(__dirname, '../histories/reconcile');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), historyToStoredJson(await client.workflow.getHandle(workflowId).fetchHistory()));
}

function reportFileOf(runKey: string): string {
  return `${fx.scratch}/reconcile/${runKey}.json`;
}

test('idsync reconcile --target desk: one target, report only, a readable summary', async () => {
  const result = await reconcileCommand(client, { targets: ['desk'], apply: false, waitMs: 120_000, queues: queues.options });
  assert.equal(result.code, 0, result.text);
  const summary = result.json as ReconcileSummary;
  assert.deepEqual(Object.keys(summary.targets), ['desk']);
  assert.match(result.text, /^Reconciliation idsync-reconcile-cli-\S+ \(report only, cli\)/);
  assert.match(result.text, /desk: \d+ account\(s\)\n( {2}.+\n)* {2}disputed +1\n/);
  assert.match(result.text, /Would deliver \d+ person event\(s\) and suspend 0 account\(s\) \(run with --apply\)\./);
  assert.match(result.text, /Report: .+\.json\n +.+\.csv/);
});

test('two worker processes on the target queue: a page that lands on the other one finds the stream, every account is read once', async () => {
  const twoWorkers = uniqueQueues('reconcile-two-workers', queues.orchestration);
  const runtime = buildRuntime(fx.config());
  const streamedHere = countStreamedAccounts(runtime, 'crm');
  const here = await startWorkers(native, client, runtime, twoWorkers, { workflows: false, affinityAttempts: 11 });
  const there = await startTargetWorkerProcess(fx, twoWorkers, 'crm', 11);
  try {
    const { summary, rows } = await reconcile(twoWorkers, false, ['crm']);
    assert.ok(summary.targets.crm!.accounts >= 8);
    assert.equal(rows.size, summary.targets.crm!.accounts, 'each account once in the report');
    const streamed = streamedHere() + (await there.streamed());
    assert.equal(streamed, summary.targets.crm!.accounts, 'and read once from Salesforce: no worker re-read the pages before its own');
  } finally {
    await there.stop();
    await here.shutdown();
    await closeRuntime(runtime);
  }
});

test('a page asked of a worker without the stream is sent back to the queue, and re-read from the start only as a last resort', async () => {
  const runtime = buildRuntime(fx.config());
  const streamed = countStreamedAccounts(runtime, 'crm');
  try {
    // Two activity instances: two workers' separate streams.
    const [holder, other] = [createReconcileActivities(runtime, { client, affinityAttempts: 3 }), createReconcileActivities(runtime, { client, affinityAttempts: 3 })];
    const runKey = uniqueId('reconcile-affinity');
    const at = (attempt: number) => new MockActivityEnvironment({ attempt });
    await at(1).run(holder.prepareReconcile, { runKey, asOf: new Date().toISOString(), targets: ['crm'] });
    const page = (n: number) => ({ runKey, target: 'crm', page: n, pageSize: 2 });
    const read = async (activities: typeof holder, n: number, attempt: number) => (await at(attempt).run(activities.readAccountPage, page(n))) as PageResult;
    assert.equal((await read(holder, 0, 1)).accounts, 2);
    await assert.rejects(read(other, 1, 1), (err: ApplicationFailure) => err.type === 'PageElsewhere' && !err.nonRetryable);
    assert.equal((await read(holder, 1, 2)).accounts, 2);
    const readSoFar = streamed();
    // The holder is gone (say): after the last affinity attempt another worker re-reads up to page 2.
    assert.equal((await read(other, 2, 3)).accounts, 2);
    assert.ok(streamed() >= readSoFar + 4, 'the re-read streamed pages 0 and 1 again');
  } finally {
    await closeRuntime(runtime);
  }
});
