/**
 * Convergence on what the targets really hold (issue 9), end to end: LDAP writes through the real
 * watcher, the person workflows and every connector over HTTP to the emulators, read back through the
 * connectors' real SDKs. Registered by directory-to-targets.test.ts: the end-to-end stack uses the fixed
 * task-queue names in one namespace, so all end-to-end tests share one stack in one file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import type { AccountState } from '../../domain/account';
import { personWorkflowId } from '../../lib/names';
import { personStatusQuery } from '../../workflows/person-messages';
import type { PersonStatus } from '../../workflows/person-types';
import { runsOf, waitFor, describeWorkflows, type E2E } from './support';

let e2e: E2E;

const TARGETS = ['salesforce', 'hubspot', 'highspot', 'support-desk'] as const;
const GROUPS = ['sales', 'sales-emea', 'hubspot-users', 'highspot-users', 'support'];

interface Hire {
  uid: string;
  dn: string;
  anchor: string;
}

async function hire(uid: string, extra: Record<string, string | string[]> = {}, groups = GROUPS): Promise<Hire> {
  const { ldap } = e2e;
  const dn = await ldap.addPerson(uid, { givenName: 'Test', sn: uid, cn: uid, mail: `${uid}@example.com`, employeeType: 'employee', departmentNumber: 'Sales', l: 'EMEA', ...extra });
  for (const group of groups) await ldap.addValues(ldap.groupDn(group), 'member', [dn]);
  const { searchEntries } = await ldap.client.search(dn, { scope: 'base', attributes: ['entryUUID'] });
  return { uid, dn, anchor: String(searchEntries[0]!.entryUUID) };
}

async function status(client: Client, anchor: string): Promise<PersonStatus | undefined> {
  return client.workflow.getHandle(personWorkflowId(anchor)).query(personStatusQuery).catch(() => undefined);
}

/** Read back through the connector by the link idsync keeps (what a leaver uses), else by anchor and login. */
async function accountOf(target: string, who: Hire, link?: string): Promise<AccountState | null> {
  const username = target === 'salesforce' ? `${who.uid}@corp.example.com` : `${who.uid}@example.com`;
  return e2e.runtime.adapters.get(target)!.findAccount({ anchor: who.anchor, username, email: `${who.uid}@example.com`, ...(link ? { accountId: link } : {}) });
}

/** Access a person can use: an active, unsuspended account holding anything but HubSpot's suspend role. */
function hasAccess(account: AccountState | null): boolean {
  if (!account || !account.active || account.suspended) return false;
  return account.entitlements.some((e) => !(e.kind === 'role' && e.name === 'No Access'));
}

async function converged(who: Hire, timeoutMs = 120_000): Promise<PersonStatus> {
  try {
    return await waitFor(`${who.uid} converged`, async () => {
      const s = await status(e2e.client, who.anchor);
      return s && !s.activeRun && s.queued.length === 0 && s.outcome === 'converged' ? s : undefined;
    }, timeoutMs);
  } catch (err) {
    console.error(JSON.stringify(await status(e2e.client, who.anchor), null, 1));
    console.error(await describeWorkflows(e2e.client));
    throw err;
  }
}

export function registerConvergenceTests(stack: () => E2E): void {
  test.beforeEach(() => {
    e2e = stack();
  });

  test('a person deleted outright from the directory loses access in every target, HubSpot included, by the remembered links', async () => {
    const who = await hire('del.person');
    const joined = await converged(who);
    assert.deepEqual(Object.keys(joined.links).sort(), [...TARGETS].sort(), 'an account is linked in every target');
    for (const target of TARGETS) assert.ok(hasAccess(await accountOf(target, who)), `${target}: access after joining`);

    await e2e.ldap.remove(who.dn);
    await waitFor('leaver run converged', async () => (await runsOf(e2e.client, who.anchor, 'leaver')).some((r) => r.status === 'COMPLETED'));
    const left = await converged(who);
    assert.equal(left.lastResult?.kind, 'leaver');
    assert.equal(left.lastResult?.outcome, 'converged', left.lastResult?.message);
    for (const t of left.lastResult!.targets) assert.equal(t.status, 'done', `${t.target} suspended, not skipped: ${JSON.stringify(t)}`);
    for (const target of TARGETS) {
      const account = await accountOf(target, who, joined.links[target]!.accountId);
      assert.ok(account, `${target}: the account is kept for the grace period`);
      assert.equal(hasAccess(account), false, `${target}: no access left: ${JSON.stringify(account?.entitlements)}`);
    }
    assert.deepEqual(left.pendingRemovals.map((r) => r.target).sort(), [...TARGETS].sort(), 'every removal is scheduled');
    assert.ok(left.pendingRemovals.every((r) => r.accountId === joined.links[r.target]!.accountId), 'removals act on the linked accounts');
  });

  test('a future starter has no access in any target before the start date', async () => {
    const start = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const who = await hire('future.starter', { objectClass: ['inetOrgPerson', 'idsyncPerson'], employeeStartDate: start });
    await waitFor('joiner run started', async () => (await runsOf(e2e.client, who.anchor, 'joiner')).length > 0);
    // The joiner pre-creates inactive accounts, then waits for the start date on a durable timer.
    const waiting = await waitFor('waiting for the start date', async () => {
      const s = await status(e2e.client, who.anchor);
      const run = s?.activeRun && (await e2e.client.workflow.getHandle(s.activeRun.workflowId).query<{ phase: string }>('status').catch(() => undefined));
      return run?.phase.startsWith('waiting for start date') ? run : undefined;
    });
    assert.ok(waiting);
    let accounts = 0;
    for (const target of TARGETS) {
      const account = await accountOf(target, who);
      if (account) accounts += 1;
      assert.equal(hasAccess(account), false, `${target}: no access before ${start}: ${JSON.stringify(account)}`);
    }
    assert.ok(accounts > 0, 'accounts are pre-created (inactive)');
  });

  test('with faults on every emulator, every person converges with no manual sync and never a duplicate account', async () => {
    const { salesforce, hubspot, highspot, scim } = e2e.emulators;
    // About one request in five fails, some after the write landed (a dropped answer to a create must never become a second account).
    const faults = { serverErrorRate: 0.1, rateLimitRate: 0.05, dropRate: 0.03, dropAfterWriteRate: 0.03 };
    salesforce.faults.set(faults);
    hubspot.faults.set(faults);
    await Promise.all([highspot.setFaults(faults), scim.setFaults(faults)]);
    let people: Hire[] = [];
    try {
      people = [];
      for (let i = 1; i <= 5; i++) people.push(await hire(`faulty.${i}`));
      const statuses = await Promise.all(people.map((p) => converged(p, 300_000)));
      for (const s of statuses) assert.deepEqual(Object.keys(s.links).sort(), [...TARGETS].sort());
    } finally {
      salesforce.faults.reset();
      hubspot.faults.reset();
      await Promise.all([highspot.resetFaults(), scim.resetFaults()]);
    }
    assert.ok(salesforce.faults.injected.serverError + hubspot.faults.injected.serverError > 0, 'faults were really served');
    for (const who of people) {
      for (const target of TARGETS) assert.ok(hasAccess(await accountOf(target, who)), `${who.uid} in ${target}`);
      const sfUsers = salesforce.store.rows('User').filter((u) => String(u.Username).toLowerCase() === `${who.uid}@corp.example.com`);
      assert.equal(sfUsers.length, 1, `${who.uid}: one Salesforce user`);
      const hsUsers = hubspot.store.allUsers().filter((u) => u.email.toLowerCase() === `${who.uid}@example.com`);
      assert.equal(hsUsers.length, 1, `${who.uid}: one HubSpot user`);
      const desk = (await scim.state()).users.filter((u) => u.userName.toLowerCase() === `${who.uid}@example.com`);
      assert.equal(desk.length, 1, `${who.uid}: one support-desk user`);
    }
  });

  test('a newcomer carrying a colleague\'s e-mail never takes the colleague\'s account: held as a conflict naming both', async () => {
    const colleague = await hire('first.holder');
    const held = await converged(colleague);
    const newcomer = await hire('second.claimant', { mail: 'first.holder@example.com' });
    const conflict = await waitFor('newcomer held as conflict', async () => {
      const s = await status(e2e.client, newcomer.anchor);
      return s && !s.activeRun && s.queued.length === 0 && s.outcome ? s : undefined;
    });
    assert.equal(conflict.outcome, 'conflict', JSON.stringify(conflict.lastResult?.targets));
    const hubspot = conflict.lastResult!.targets.find((t) => t.target === 'hubspot')!;
    assert.deepEqual(hubspot.conflictWith, [colleague.anchor], 'the conflict names the holder');
    assert.match(conflict.outcomeReason!, new RegExp(colleague.anchor));
    assert.equal(conflict.links.hubspot, undefined, 'the newcomer links nothing in HubSpot');
    assert.equal(conflict.retry, undefined, 'held until the directory is fixed, not retried');
    const listed = await waitFor('conflict listed by search attribute', async () => {
      for await (const wf of e2e.client.workflow.list({ query: `IdsyncOutcome = 'conflict' AND IdsyncPerson = '${newcomer.anchor}'` })) return wf.workflowId;
      return undefined;
    });
    assert.ok(listed);
    // The colleague keeps the account and still converges.
    await e2e.ldap.replace(colleague.dn, 'title', ['Senior Rep']);
    await waitFor('colleague mover run', async () => (await runsOf(e2e.client, colleague.anchor, 'mover')).some((r) => r.status === 'COMPLETED'));
    const still = await converged(colleague);
    assert.equal(still.links.hubspot!.accountId, held.links.hubspot!.accountId);
    assert.ok(hasAccess(await accountOf('hubspot', colleague, held.links.hubspot!.accountId)));
  });

  test('an account that carries another person\'s anchor, with no link to tell, is a conflict too (the target finds it)', async () => {
    // Created behind idsync's back for another identity, under the e-mail the newcomer will carry.
    const otherAnchor = '7f1c2d3e-0000-4000-8000-00000000abcd';
    const res = await fetch(`${e2e.emulators.scim.url}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${process.env.SUPPORT_DESK_SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'anchored.elsewhere@example.com', externalId: otherAnchor, active: true }),
    });
    assert.equal(res.status, 201, await res.text());
    const newcomer = await hire('anchored.elsewhere');
    const conflict = await waitFor('newcomer held as conflict', async () => {
      const s = await status(e2e.client, newcomer.anchor);
      return s && !s.activeRun && s.queued.length === 0 && s.outcome ? s : undefined;
    });
    assert.equal(conflict.outcome, 'conflict', JSON.stringify(conflict.lastResult?.targets));
    const desk = conflict.lastResult!.targets.find((t) => t.target === 'support-desk')!;
    assert.deepEqual(desk.conflictWith, [otherAnchor], 'the conflict names the identity the account carries');
    assert.equal(conflict.links['support-desk'], undefined, 'nothing is linked in the support desk');
    assert.equal(conflict.retry, undefined, 'held until someone fixes it, not retried');
  });
}

