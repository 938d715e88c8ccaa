/**
 * `npm start` stopped with Ctrl-C and started again on the same state directory: the emulators come
 * back with the accounts idsync made (same ids), and nothing is redone or asked again: no new runs,
 * and an approval decided before the restart stays decided. The stack is the real starters/dev-stack.ts in a child
 * process with its own Temporal dev server (SQLite), slapd and emulators on free ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { PROJECT_ROOT, freePort } from '../../scripts/local-services';
import { EMULATOR_ADMIN_PREFIX } from '../../emulators/faults';
import { WATCHER_WORKFLOW_ID, WORKFLOW_TYPES } from '../../lib/names';
import { decideApprovalUpdate } from '../../workflows/person-messages';
import { testEnv } from '../support/env';
import { idsyncDataConverter } from '../../app/encryption';
import { pollUntil } from '../support/poll';

interface Stack {
  child: ChildProcess;
  output: () => string;
}

interface StackPorts {
  temporal: number;
  ui: number;
  ldap: number;
  emulatorBase: number;
  intake: number;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The demo puts its emulators at base, base+100, base+200 and base+300. */
async function freeEmulatorBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all([0, 100, 200, 300].map((offset) => portIsFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free emulator port range found');
}

function startStack(home: string, ports: StackPorts): Stack {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'starters', 'dev-stack.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      IDSYNC_HOME: home,
      IDSYNC_CONFIG: '',
      IDSYNC_TEMPORAL_PORT: String(ports.temporal),
      IDSYNC_UI_PORT: String(ports.ui),
      IDSYNC_LDAP_PORT: String(ports.ldap),
      IDSYNC_EMULATOR_PORT_BASE: String(ports.emulatorBase),
      IDSYNC_INTAKE_PORT: String(ports.intake),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitForOutput(stack: Stack, pattern: RegExp): Promise<RegExpExecArray> {
  return pollUntil(`the demo to print ${pattern}`, async () => {
    if (stack.child.exitCode !== null) throw new Error(`the demo exited (${stack.child.exitCode}):\n${stack.output()}`);
    return pattern.exec(stack.output()) ?? undefined;
  }, { timeoutMs: 90_000, intervalMs: 100 });
}

/** Ctrl-C, as a person at the terminal would stop it; resolves once everything it started has stopped. */
async function stopStack(stack: Stack): Promise<void> {
  const exited = new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once('exit', (code) => resolve(code))));
  stack.child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 0, stack.output());
  assert.match(stack.output(), /stopped everything it started/);
}

async function emulatorState(url: string): Promise<Record<string, any>> {
  const res = await fetch(`${url}${EMULATOR_ADMIN_PREFIX}/state`);
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, any>;
}

/** Each emulator's accounts as id -> the fields idsync converges, read from the running emulators. */
async function accounts(emulatorBase: number): Promise<Record<string, Record<string, unknown>>> {
  const [sf, hs, hp, scim] = await Promise.all([0, 100, 200, 300].map((offset) => emulatorState(`http://127.0.0.1:${emulatorBase + offset}`)));
  const byId = <T extends { [k: string]: any }>(rows: T[], id: string, pick: (row: T) => unknown) => Object.fromEntries(rows.map((row) => [row[id], pick(row)]));
  return {
    salesforce: byId(sf.objects.User, 'Id', (u) => [u.Username, u.IsActive, u.ProfileId, u.UserRoleId]),
    salesforcePermissionSets: byId(sf.objects.PermissionSetAssignment, 'Id', (a) => [a.AssigneeId, a.PermissionSetId]),
    hubspot: byId(hs.users, 'id', (u) => [u.email, u.roleId, u.primaryTeamId, u.secondaryTeamIds]),
    highspot: byId(hp.users, 'id', (u) => [u.userName, u.active, u.groups.map((g: { value: string }) => g.value)]),
    supportDesk: byId(scim.users, 'id', (u) => [u.userName, u.active, u.groups.map((g: { value: string }) => g.value)]),
  };
}

/** Every workflow run in the demo's namespace, with its approval state. */
async function runs(client: Client): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for await (const wf of client.workflow.list()) {
    if (wf.workflowId === WATCHER_WORKFLOW_ID) continue; // the watcher may continue-as-new on its own
    all.set(`${wf.workflowId}/${wf.runId}`, `${wf.type} ${wf.status.name} approval=${String(wf.searchAttributes.IdsyncApprovalState ?? '-')}`);
  }
  return all;
}

/**
 * Provisioning has settled: the watcher's first poll has delivered the baseline joiners (its
 * activity signals every person before the poll counts), every person has its joiner run, and each
 * joiner is done or waits for a person (approval) or a date with nothing left to do.
 */
async function settled(client: Client): Promise<boolean> {
  // The watcher may not exist or answer yet right after the start.
  const watcher = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).query<{ lastPollAt: string | null }>('watcherStatus').catch(() => undefined);
  if (!watcher?.lastPollAt) return false;
  let people = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}"` })) people++;
  let joiners = 0;
  for await (const wf of client.workflow.list({ query: 'IdsyncEventKind = "joiner"' })) {
    joiners++;
    if (wf.status.name === 'COMPLETED') continue;
    if (wf.status.name !== 'RUNNING') throw new Error(`joiner ${wf.workflowId} ended ${wf.status.name}`);
    const description = await client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    if ((description.raw.pendingActivities ?? []).length > 0 || (description.raw.pendingChildren ?? []).length > 0) return false;
  }
  return people > 0 && joiners === people;
}

/** For a failure message: what each unfinished joiner is doing. */
async function unfinishedJoiners(client: Client): Promise<string> {
  const lines: string[] = [];
  for await (const wf of client.workflow.list({ query: 'IdsyncEventKind = "joiner" AND ExecutionStatus = "Running"' })) {
    const pending = (await client.workflow.getHandle(wf.workflowId, wf.runId).describe()).raw.pendingActivities ?? [];
    lines.push(`${wf.workflowId}: ${pending.map((a) => `${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message ?? 'no failure'}`).join('; ') || 'no pending activity'}`);
  }
  return lines.join('\n');
}

/** An approver decides the first privileged grant waiting (the demo's cto is in idsync-approvers), and its joiner finishes. */
async function approveOnePendingGrant(client: Client): Promise<string> {
  let pendingRun: string | undefined;
  for await (const wf of client.workflow.list({ query: 'IdsyncApprovalState = "pending"' })) pendingRun ??= wf.workflowId;
  assert.ok(pendingRun, 'the demo company has a privileged grant waiting for approval');
  const answer = await client.workflow.getHandle(pendingRun).executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'cto', comment: 'demo restart test' }] });
  assert.equal(answer.accepted, true, answer.message);
  await client.workflow.getHandle(pendingRun).result();
  return pendingRun;
}

test('a restarted demo finds its accounts where it left them and asks nothing again', async () => {
  const home = testEnv.scratchDir('demo-home');
  const ports: StackPorts = { temporal: await freePort(), ui: await freePort(), ldap: await freePort(), emulatorBase: await freeEmulatorBase(), intake: await freePort() };

  const first = startStack(home, ports);
  let before: { accounts: Awaited<ReturnType<typeof accounts>>; runs: Map<string, string> };
  let approvedRun: string;
  try {
    await waitForOutput(first, /idsync is running:/);
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      // The demo encrypts its history with the key it generated in its home.
      const client = new Client({ connection, namespace: 'default', dataConverter: idsyncDataConverter({ encryption: { mode: 'aes-256-gcm', keyFile: join(home, 'encryption-keys') } }) });
      await pollUntil('the demo company to be provisioned', () => settled(client), { timeoutMs: 90_000, intervalMs: 500, accept: Boolean }).catch(async (err: Error) => {
        throw new Error(`${err.message}; joiners still running:\n${await unfinishedJoiners(client)}`);
      });
      approvedRun = await approveOnePendingGrant(client);
      before = { accounts: await accounts(ports.emulatorBase), runs: await runs(client) };
    } finally {
      await connection.close();
    }
  } finally {
    await stopStack(first);
  }
  assert.ok(Object.keys(before.accounts.salesforce).length >= 20, `the demo provisioned its Salesforce users: ${Object.keys(before.accounts.salesforce).length}`);
  const decided = [...before.runs].filter(([run]) => run.startsWith(`${approvedRun}/`)).map(([, state]) => state);
  assert.deepEqual(decided, ['joinerWorkflow COMPLETED approval=approved'], 'the approved grant was applied before the restart');

  const second = startStack(home, ports);
  try {
    const [decision] = await waitForOutput(second, /idsync: restart: .*/);
    assert.match(decision, /every emulator kept its state; nothing to converge again/);
    const restartedAt = Date.now();
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      // The demo encrypts its history with the key it generated in its home.
      const client = new Client({ connection, namespace: 'default', dataConverter: idsyncDataConverter({ encryption: { mode: 'aes-256-gcm', keyFile: join(home, 'encryption-keys') } }) });
      // A full poll of the directory after the restart: anything the restart would start has started by then.
      await pollUntil('a watcher poll after the restart', async () => {
        const status = await client.workflow.getHandle(WATCHER_WORKFLOW_ID).query<{ lastPollAt: string | null }>('watcherStatus');
        return status.lastPollAt !== null && Date.parse(status.lastPollAt) > restartedAt;
      }, { timeoutMs: 60_000, intervalMs: 250, accept: Boolean, retryErrors: true });
      assert.deepEqual(await accounts(ports.emulatorBase), before.accounts, 'the same accounts with the same ids');
      assert.deepEqual(await runs(client), before.runs, 'no run started or changed: the decided approval is not asked again');
    } finally {
      await connection.close();
    }
  } finally {
    await stopStack(second);
  }
});
