/**
 * Issue 18: the production topology, run for real. docker-compose.yml's idsync services as processes
 * (two workers, the watcher with its state volume and the intake) on the full Temporal server
 * (frontend, history, matching and worker as separate processes) on PostgreSQL. Joiners arrive from
 * the directory with one worker, then two; mid-run one worker is SIGKILLed (and restarted, as
 * `restart: unless-stopped` does) and the Temporal server is restarted; then a mass deletion the
 * guard must hold. IDSYNC_TOPOLOGY_PEOPLE sets the number of joiners (default 500, at least 80).
 * `npm run test:topology` runs this file alone; `npm test` runs it as its own step after the rest
 * (scripts/run-tests.ts), which first builds the Temporal server (~8 min, once) outside its time limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { TASK_QUEUES, WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../../lib/names';
import { GUARD_STATES, SEARCH_ATTRIBUTE_KEYS } from '../../lib/search-attributes';
import { verifyAuditLog } from '../../audit';
import type { WatcherStatus } from '../../workflows/directory-watcher';
import { pollUntil } from '../support/poll';
import { TOPOLOGY_STEP_ENV } from '../../scripts/topology/test-step';
import { GROUP, TARGETS, startTopology, waitForOutput, type TopologyStack } from './stack';

const PEOPLE = Number(process.env.IDSYNC_TOPOLOGY_PEOPLE ?? 500);
/**
 * Over the guard's maxLeavers (25) set in the stack's config. The first MASS_DELETION people are hired
 * into one OU below the people base, which later leaves the directory's scope in one modrdn: deleting
 * them one by one could let a presence scan fall in between and release a first few under the limit.
 */
const MASS_DELETION = 40;
const SITE_B = 'site-b';
const CONVERGE_TIMEOUT_MS = 15 * 60_000;
const log = (line: string) => console.log(line);

const skip = process.env[TOPOLOGY_STEP_ENV] ? false : 'runs in its own step of scripts/run-tests.ts (npm test, npm run test:topology)';

test('the compose topology on Temporal + PostgreSQL: joiners, a killed worker, a server restart, a held mass deletion', { timeout: 60 * 60_000, skip }, async () => {
  assert.ok(PEOPLE >= 80, 'IDSYNC_TOPOLOGY_PEOPLE must be at least 80 (the mass deletion must stay under the 50 % floor and over maxLeavers)');
  const stack = await startTopology(log);
  try {
    await runScenario(stack);
  } catch (err) {
    for (const r of stack.deployment.replicas()) console.error(`--- ${r.service}-${r.index} (started ${r.starts}x) ---\n${r.output().slice(-2500)}`);
    throw err;
  } finally {
    await stack.close();
  }
});

async function runScenario(stack: TopologyStack): Promise<void> {
  const { deployment, client } = stack;
  const stateOwners = deployment.services.filter((s) => s.mounts.some((m) => m.named && m.source === 'idsync-watcher-state'));
  const watcherRunners = deployment.services.filter((s) => s.roles.includes('watcher'));
  assert.deepEqual(watcherRunners.map((s) => s.name), stateOwners.map((s) => s.name), 'the watcher role runs only in the one service that mounts its state');
  const watcherService = watcherRunners[0];
  const workerService = deployment.services.find((s) => s.roles.includes('orchestration'));
  assert.ok(watcherService && workerService, 'docker-compose.yml runs a watcher and an orchestration worker');
  assert.equal(workerService.replicas, 2, 'the compose file scales the worker service to two replicas');

  const watcher = await stack.startReplica(watcherService.name, 1);
  const worker1 = await stack.startReplica(workerService.name, 1);
  const status = () => client.workflow.getHandle(WATCHER_WORKFLOW_ID).query<WatcherStatus>('watcherStatus');
  await pollUntil('the watcher baseline', async () => ((await status()).lastPollAt ? true : undefined), { timeoutMs: 120_000, retryErrors: true });
  await assertQueueOwners(stack, watcherService.name, workerService.name);
  const intake = await fetch(`http://127.0.0.1:${stack.intakePort}/events`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(intake.status, 401, 'the intake runs in the watcher service and refuses an unsigned event');

  await stack.ldap.client.add(siteB(stack), { objectClass: 'organizationalUnit', ou: SITE_B });
  const oneWorker = Math.round(PEOPLE * 0.2);
  const twoWorkers = Math.round(PEOPLE * 0.2);
  const rest = PEOPLE - oneWorker - twoWorkers;
  const people: string[] = [];
  const rate1 = await hireAndTime(stack, people, oneWorker);
  log(`topology: one worker: ${oneWorker} joiners converged at ${rate1.toFixed(2)} people/s`);

  await stack.startReplica(workerService.name, 2);
  const rate2 = await hireAndTime(stack, people, twoWorkers);
  log(`topology: two workers: ${twoWorkers} joiners converged at ${rate2.toFixed(2)} people/s (${(rate2 / rate1).toFixed(2)}x one worker)`);

  // The last joiners with failures injected mid-run.
  const before = people.length;
  const generationBefore = (await status()).generation!;
  await hire(stack, people, rest);
  await waitConverged(stack, before + Math.ceil(rest / 4));
  const killedPid = worker1.pid();
  worker1.kill('SIGKILL');
  log(`topology: SIGKILLed ${workerService.name}-1 (pid ${killedPid}) with ${await convergedCount(stack)} of ${PEOPLE} converged`);
  await waitForOutput(worker1, /idsync worker: polling/, 2);
  assert.notEqual(worker1.pid(), killedPid, 'the killed worker came back as a new process (restart: unless-stopped)');
  await stack.cluster.restart();
  log(`topology: restarted the Temporal server (frontend, history, matching, worker) with ${await convergedCount(stack)} of ${PEOPLE} converged`);
  await waitConverged(stack, PEOPLE);

  // Every person once: one joiner run each, one account per target each.
  assert.equal(await convergedCount(stack), PEOPLE);
  assert.equal(await countOf(client, `${SEARCH_ATTRIBUTE_KEYS.eventKind.name} = "joiner"`), PEOPLE, 'exactly one joiner run per person: no burst from a re-baseline');
  await assertOneAccountEach(stack, people);

  // The watcher's state carried on across the kills, in its one volume.
  const after = await status();
  assert.ok(after.generation! > generationBefore, `watcher generations continue (${generationBefore} -> ${after.generation}), no re-baseline`);
  assert.equal(after.people, PEOPLE, 'the watcher snapshot holds everyone');
  assert.equal(watcher.starts, 1, 'the watcher process was never restarted');
  const stateDir = deployment.volumeDir('idsync-watcher-state');
  assert.ok(readdirSync(stateDir).some((f) => f.startsWith('state-')), 'the watcher writes its generations into the idsync-watcher-state volume');
  for (const r of deployment.replicas().filter((x) => x.service === workerService.name)) {
    assert.ok(!existsSync(join(r.containerRoot, 'var/lib/idsync/watcher')), `${r.service}-${r.index} never wrote watcher state`);
  }

  // A mass deletion: the guard holds every leaver, nobody loses access.
  await stack.ldap.client.modifyDN(siteB(stack), `ou=${SITE_B},${stack.ldap.root}`);
  const held = await pollUntil('the guard to hold the mass deletion', async () => {
    const s = await status();
    return s.pendingBatch && s.pendingBatch.leavers >= MASS_DELETION ? s.pendingBatch : undefined;
  }, { timeoutMs: 120_000, retryErrors: true });
  assert.equal(held.leavers, MASS_DELETION, `held exactly the ${MASS_DELETION} leavers: ${held.reason}`);
  const description = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).describe();
  assert.deepEqual(description.searchAttributes[SEARCH_ATTRIBUTE_KEYS.guardState.name], [GUARD_STATES.awaitingApproval]);
  assert.equal(await countOf(client, `${SEARCH_ATTRIBUTE_KEYS.eventKind.name} = "leaver"`), 0, 'no leaver run started');
  await assertOneAccountEach(stack, people);

  const audit = await verifyAuditLog(join(deployment.volumeDir('idsync-audit'), 'audit.log'));
  assert.ok(audit.ok, `the audit chain shared by every replica verifies: ${JSON.stringify(audit)}`);
  log(`topology: ${PEOPLE} people converged; audit chain of ${audit.records} records verifies; guard holds ${held.leavers} leavers`);
}

/** Who polls which queue, from the server: the watcher's queues only the watcher service, the rest only workers. */
async function assertQueueOwners(stack: TopologyStack, watcherService: string, workerService: string): Promise<void> {
  const { TASK_QUEUE_TYPE_ACTIVITY: ACTIVITY, TASK_QUEUE_TYPE_WORKFLOW: WORKFLOW } = temporal.api.enums.v1.TaskQueueType;
  const expectations: [string, number, string][] = [
    [TASK_QUEUES.watcher, WORKFLOW, watcherService],
    [TASK_QUEUES.watcherActivities, ACTIVITY, watcherService],
    [TASK_QUEUES.orchestration, WORKFLOW, workerService],
    [TASK_QUEUES.directory, ACTIVITY, workerService],
    ...TARGETS.map((t): [string, number, string] => [TASK_QUEUES.target(t), ACTIVITY, workerService]),
  ];
  for (const [queue, type, owner] of expectations) {
    const identities = await pollUntil(`pollers on ${queue}`, async () => {
      const answer = await stack.client.workflowService.describeTaskQueue({ namespace: stack.cluster.namespace, taskQueue: { name: queue }, taskQueueType: type });
      const ids = (answer.pollers ?? []).map((p) => p.identity ?? '');
      return ids.length > 0 ? ids : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const prefix = owner === watcherService ? 'idsync-watcher@' : 'idsync-worker@';
    assert.ok(identities.every((id) => id.startsWith(prefix)), `${queue} is polled only by ${owner}: ${identities.join(', ')}`);
  }
}

const siteB = (stack: TopologyStack) => `ou=${SITE_B},${stack.ldap.peopleDn}`;

let hired = 0;
async function hire(stack: TopologyStack, people: string[], count: number): Promise<void> {
  const { ldap } = stack;
  // Members first (groupOfNames may name entries that do not exist yet), so each person is in scope when first seen.
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, () => {
      const n = ++hired;
      const uid = `agent${String(n).padStart(4, '0')}`;
      return { uid, dn: `uid=${uid},${n <= MASS_DELETION ? siteB(stack) : ldap.peopleDn}` };
    });
    await ldap.addValues(ldap.groupDn(GROUP), 'member', batch.map((p) => p.dn));
    for (const { uid, dn } of batch) {
      await ldap.client.add(dn, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, givenName: 'Agent', mail: `${uid}@example.com`, employeeType: 'employee', departmentNumber: 'Support', l: 'EMEA' });
      people.push(uid);
    }
  }
}

/** Hires `count` more people and returns people per second until all of them converged. */
async function hireAndTime(stack: TopologyStack, people: string[], count: number): Promise<number> {
  const target = people.length + count;
  const started = Date.now();
  await hire(stack, people, count);
  await waitConverged(stack, target);
  return count / ((Date.now() - started) / 1000);
}

function countOf(client: TopologyStack['client'], query: string): Promise<number> {
  return client.workflow.count(query).then((c) => c.count);
}

function convergedCount(stack: TopologyStack): Promise<number> {
  // Running only: a person workflow that continued as new leaves a closed run with the same outcome.
  return countOf(stack.client, `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND ExecutionStatus = "Running" AND ${SEARCH_ATTRIBUTE_KEYS.outcome.name} = "converged"`);
}

async function waitConverged(stack: TopologyStack, atLeast: number): Promise<void> {
  await pollUntil(`${atLeast} people converged`, async () => ((await convergedCount(stack)) >= atLeast ? true : undefined), {
    timeoutMs: CONVERGE_TIMEOUT_MS,
    intervalMs: 1000,
    retryErrors: true,
  });
}

/** Through the targets' SDKs: every hired person has exactly one active account in every target, nobody has two. */
async function assertOneAccountEach(stack: TopologyStack, people: string[]): Promise<void> {
  for (const target of TARGETS) {
    const byEmail = new Map<string, number>();
    const active = new Set<string>();
    for await (const account of stack.runtime.adapters.get(target)!.listAccounts()) {
      const email = (account.email ?? account.username).toLowerCase();
      byEmail.set(email, (byEmail.get(email) ?? 0) + 1);
      if (account.active && !account.suspended) active.add(email);
    }
    const duplicates = [...byEmail].filter(([, n]) => n > 1).map(([e]) => e);
    assert.deepEqual(duplicates, [], `${target}: duplicate accounts`);
    const missing = people.filter((uid) => !active.has(`${uid}@example.com`));
    assert.deepEqual(missing.slice(0, 10), [], `${target}: ${missing.length} people without an active account`);
  }
}
