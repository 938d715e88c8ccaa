import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountState } from '../../domain/account';
import { WATCHER_WORKFLOW_ID } from '../../lib/names';
import { historyToStoredJson } from '../histories/history-files';
import { startE2E, runsOf, waitFor, describeWorkflows, type E2E } from './support';
import { registerConvergenceTests } from './convergence-cases';

// One person's whole life, from LDAP writes to target state, through the watcher, the person workflow
// and every connector: each directory change must produce exactly one run of the right kind.
let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e?.close();
});

const has = (account: AccountState | null, kind: string, name: string) => Boolean(account?.entitlements.some((e) => e.kind === kind && e.name === name));

/** Read through the connector (real SDK over HTTP), matched the way idsync matches: anchor, then login/email. */
async function account(target: string, anchor: string): Promise<AccountState | null> {
  const username = target === 'salesforce' ? 'evoss@corp.example.com' : 'eva.voss@example.com';
  return e2e.runtime.adapters.get(target)!.findAccount({ anchor, username, email: 'Eva.Voss@example.com' });
}

async function completedRuns(anchor: string, kind: string, expected: number): Promise<void> {
  try {
    await waitFor(`${expected} completed ${kind} run(s)`, async () => {
      const runs = await runsOf(e2e.client, anchor, kind);
      return runs.filter((r) => r.status === 'COMPLETED').length >= expected && runs;
    });
  } catch (err) {
    console.error(await describeWorkflows(e2e.client));
    throw err;
  }
}

async function assertRunCounts(anchor: string, expected: Record<string, number>): Promise<void> {
  // A few poll intervals of quiet: a replayed poll or a doubled event would show up here.
  await new Promise((r) => setTimeout(r, 2000));
  for (const [kind, count] of Object.entries(expected)) {
    const runs = await runsOf(e2e.client, anchor, kind);
    assert.equal(runs.length, count, `${kind} runs: ${JSON.stringify(runs)}`);
  }
}

test('joiner, mover (groups), mover (department), leaver (disabled), rehire, leaver (deleted) against every target', async () => {
  const { ldap } = e2e;
  const dn = await ldap.addPerson('evoss', {
    givenName: 'Eva',
    sn: 'Voß',
    cn: 'Eva Voß',
    mail: 'Eva.Voss@example.com',
    employeeNumber: '900001',
    employeeType: 'employee',
    departmentNumber: 'Sales',
    title: 'Account Executive',
    l: 'EMEA',
  });
  for (const group of ['sales', 'sales-emea', 'hubspot-users', 'highspot-users']) await ldap.addValues(ldap.groupDn(group), 'member', [dn]);
  const { searchEntries } = await ldap.client.search(dn, { scope: 'base', attributes: ['entryUUID'] });
  const anchor = String(searchEntries[0]!.entryUUID);

  // Joiner
  await completedRuns(anchor, 'joiner', 1);
  const sf = await account('salesforce', anchor);
  assert.ok(sf?.active, 'Salesforce user is active');
  assert.equal(sf.username, 'evoss@corp.example.com');
  assert.ok(has(sf, 'role', 'Sales Rep EMEA') && has(sf, 'publicGroup', 'Sales EMEA') && has(sf, 'profile', 'Standard User'));
  assert.equal(sf.attributes.Department, 'Sales');
  const hs = await account('hubspot', anchor);
  assert.ok(has(hs, 'role', 'Sales Rep') && has(hs, 'primaryTeam', 'EMEA'), JSON.stringify(hs?.entitlements));
  const hp = await account('highspot', anchor);
  assert.ok(hp?.active && has(hp, 'group', 'All Employees') && has(hp, 'group', 'Sales - EMEA'));
  assert.equal(await account('support-desk', anchor), null, 'sales people get no support-desk account');
  await assertRunCounts(anchor, { joiner: 1, mover: 0, leaver: 0 });

  // Mover: promoted to sales manager
  await ldap.addValues(ldap.groupDn('sales-managers'), 'member', [dn]);
  await completedRuns(anchor, 'mover', 1);
  const promoted = await account('salesforce', anchor);
  assert.ok(has(promoted, 'role', 'Sales Manager EMEA') && has(promoted, 'permissionSet', 'Sales_Ops'), JSON.stringify(promoted?.entitlements));
  assert.ok(!has(promoted, 'role', 'Sales Rep EMEA'), 'the old role is gone');
  assert.ok(has(await account('hubspot', anchor), 'role', 'Sales Manager'));

  // Mover: department change
  await ldap.replace(dn, 'departmentNumber', ['Sales Operations']);
  await completedRuns(anchor, 'mover', 2);
  assert.equal((await account('salesforce', anchor))?.attributes.Department, 'Sales Operations');

  // Leaver: disabled in the directory -> access cut everywhere at once, accounts kept for the grace period
  await ldap.replace(dn, 'employeeType', ['disabled']);
  await completedRuns(anchor, 'leaver', 1);
  const frozen = await account('salesforce', anchor);
  assert.ok(frozen && (frozen.suspended || !frozen.active), 'Salesforce user frozen or deactivated');
  const sfUser = e2e.emulators.salesforce.store.find('User', (u) => u.FederationIdentifier === anchor)!;
  const login = e2e.emulators.salesforce.store.find('UserLogin', (l) => l.UserId === sfUser.Id);
  assert.equal(login?.IsFrozen, true, 'UserLogin.IsFrozen');
  const hsSuspended = await account('hubspot', anchor);
  assert.ok(hsSuspended && !has(hsSuspended, 'role', 'Sales Manager'), 'HubSpot permissions removed');
  assert.equal((await account('highspot', anchor))?.active, false);

  // Rehire inside the grace period: access restored from current policy, same accounts
  await ldap.replace(dn, 'employeeType', ['employee']);
  await completedRuns(anchor, 'rehire', 1);
  const back = await account('salesforce', anchor);
  assert.ok(back?.active && !back.suspended, 'Salesforce user active again');
  assert.equal(back.id, sf.id, 'the same Salesforce user, never a second one');
  assert.ok(has(back, 'role', 'Sales Manager EMEA'));
  assert.equal(e2e.emulators.salesforce.store.rows('User').filter((u) => String(u.Username).toLowerCase() === 'evoss@corp.example.com').length, 1);
  assert.ok((await account('highspot', anchor))?.active);

  // Leaver: deleted from the directory
  await ldap.remove(dn);
  await completedRuns(anchor, 'leaver', 2);
  assert.equal((await account('highspot', anchor))?.active, false);
  await assertRunCounts(anchor, { joiner: 1, mover: 2, leaver: 2, rehire: 1 });

  // The watcher's history from this real run is what test/replay-watcher.test.ts replays.
  if (process.env.IDSYNC_RECORD_HISTORIES === '1') {
    const history = await e2e.client.workflow.getHandle(WATCHER_WORKFLOW_ID).fetchHistory();
    mkdirSync(join(__dirname, '../histories/watcher'), { recursive: true });
    writeFileSync(join(__dirname, '../histories/watcher/directory-watcher.json'), historyToStoredJson(history));
  }
});

registerConvergenceTests(() => e2e);
