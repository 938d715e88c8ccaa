import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountState } from '../../domain/account';
import type { DesiredTargetState } from '../../policy/types';
import { classifyAccount, markDuplicateAccounts, planReactions, type ClassifyContext, type ReconcileRow } from '../../policy/reconcile';
import { reconcileSettingsFor, reconcileConfigSchema } from '../../policy/reconcile-config';
import { AccountPager } from '../../activities/reconcile-pager';
import { RunFiles, toCsv, writeReport } from '../../activities/reconcile-files';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targetDescription } from '../../targets/registry';

const NOW = Date.parse('2026-11-30T00:00:00Z');

function desiredFor(anchor: string, overrides: Partial<DesiredTargetState> = {}): DesiredTargetState {
  return {
    target: 'crm',
    targetKind: 'salesforce',
    inScope: true,
    scopeReason: 'in scope by rule crm-sales',
    scopeRule: 'crm-sales',
    gracePeriodMs: 86_400_000,
    account: {
      anchor,
      username: `${anchor}@corp.example.com`,
      email: `${anchor}@example.com`,
      attributes: { Department: 'Sales' },
      active: true,
      entitlements: [{ kind: 'profile', name: 'Standard User', rule: 'crm-birthright' }],
    },
    ...overrides,
  };
}

function account(anchor: string | undefined, overrides: Partial<AccountState> = {}): AccountState {
  const login = anchor ?? 'someone';
  return {
    id: `005${login}`,
    username: `${login}@corp.example.com`,
    email: `${login}@example.com`,
    ...(anchor ? { anchor } : {}),
    active: true,
    attributes: { Department: 'Sales' },
    entitlements: [{ kind: 'profile', name: 'Standard User' }],
    ...overrides,
  };
}

function context(people: Record<string, DesiredTargetState>, overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return {
    target: 'crm',
    mode: 'overwrite',
    storesAnchor: true,
    linkedBy: [],
    matchedBy: [],
    desired: (anchor) => people[anchor],
    privileged: (kind, name) => kind === 'permissionSet' && name === 'Modify_All_Data',
    approved: () => false,
    inactiveBeforeMs: NOW - 90 * 86_400_000,
    ...overrides,
  };
}

test('link first: a linked account in step with policy is in sync; a changed attribute is drift', () => {
  const people = { p1: desiredFor('p1') };
  assert.equal(classifyAccount(context(people, { linkedBy: ['p1'] }), account('p1')).situation, 'inSync');
  const drifted = classifyAccount(context(people, { linkedBy: ['p1'] }), account('p1', { attributes: { Department: 'Golf' } }));
  assert.equal(drifted.situation, 'drifted');
  assert.equal(drifted.personAnchor, 'p1');
  assert.match(drifted.detail, /update attribute:Department/);
  assert.doesNotMatch(drifted.detail, /Golf/, 'details name fields, never values');
  // The link wins over the account's own anchor and over username/email matches.
  const linkedElsewhere = classifyAccount(context({ ...people, p2: desiredFor('p2') }, { linkedBy: ['p2'], matchedBy: ['p1'] }), account('p1'));
  assert.equal(linkedElsewhere.personAnchor, 'p2');
});

test('unlinked, orphan, person gone, disputed by links or by matches', () => {
  const people = { p1: desiredFor('p1'), p2: desiredFor('p2') };
  assert.equal(classifyAccount(context(people), account('p1')).situation, 'unlinked');
  assert.equal(classifyAccount(context(people, { matchedBy: ['p1'] }), account(undefined)).situation, 'unlinked');
  assert.equal(classifyAccount(context(people), account(undefined)).situation, 'orphan');
  assert.equal(classifyAccount(context(people), account('left-long-ago')).situation, 'goneActive');
  assert.equal(classifyAccount(context(people), account('left-long-ago', { suspended: true })).situation, 'orphan');
  assert.equal(classifyAccount(context(people, { linkedBy: ['gone'] }), account('gone')).situation, 'goneActive');
  assert.equal(classifyAccount(context(people, { linkedBy: ['p1', 'p2'] }), account('p1')).situation, 'disputed');
  assert.equal(classifyAccount(context(people, { matchedBy: ['p1', 'p2'] }), account(undefined)).situation, 'disputed');
  // HubSpot keeps no anchor: the missing anchor is not drift there.
  assert.equal(classifyAccount(context(people, { linkedBy: ['p1'], storesAnchor: false }), account(undefined, { username: 'p1@corp.example.com', email: 'p1@example.com' })).situation, 'inSync');
});

test('inactive from the last activity; privileged grants need an approval on record', () => {
  const people = { p1: desiredFor('p1') };
  const old = account('p1', { lastActivityAt: '2025-01-01T00:00:00.000Z' });
  assert.equal(classifyAccount(context(people, { linkedBy: ['p1'] }), old).situation, 'inactive');
  assert.equal(classifyAccount(context(people, { linkedBy: ['p1'] }), account('p1', { lastActivityAt: '2026-11-01T00:00:00.000Z' })).situation, 'inSync');
  const adminPolicy = desiredFor('p1');
  adminPolicy.account!.entitlements.push({ kind: 'permissionSet', name: 'Modify_All_Data', privileged: true, rule: 'crm-admin' });
  const admin = account('p1', { entitlements: [{ kind: 'profile', name: 'Standard User' }, { kind: 'permissionSet', name: 'Modify_All_Data' }] });
  assert.equal(classifyAccount(context({ p1: adminPolicy }, { linkedBy: ['p1'] }), admin).situation, 'unapprovedPrivileged');
  assert.equal(classifyAccount(context({ p1: adminPolicy }, { linkedBy: ['p1'], approved: () => true }), admin).situation, 'inSync');
  // Not granted by policy at all: drift (revoked in overwrite mode) comes first.
  const verdict = classifyAccount(context(people, { linkedBy: ['p1'] }), { ...admin, lastActivityAt: '2020-01-01T00:00:00.000Z' });
  assert.equal(verdict.situation, 'drifted');
  assert.deepEqual(verdict.also, ['unapprovedPrivileged', 'inactive']);
});

test('a person out of scope whose access is already cut waits for removal: in sync', () => {
  const out = desiredFor('p1', { inScope: false, scopeReason: 'out of scope: disabled', account: undefined });
  assert.equal(classifyAccount(context({ p1: out }, { linkedBy: ['p1'] }), account('p1', { suspended: true })).situation, 'inSync');
  assert.equal(classifyAccount(context({ p1: out }, { linkedBy: ['p1'] }), account('p1')).situation, 'drifted');
});

const row = (r: Partial<ReconcileRow>): ReconcileRow => ({ target: 'crm', accountId: 'a', username: 'u', situation: 'inSync', also: [], detail: 'as policy wants', reaction: 'none', ...r });

test('two accounts for one person are both disputed; reactions become one event per person', () => {
  const rows = markDuplicateAccounts([row({ accountId: 'a1', personAnchor: 'p1' }), row({ accountId: 'a2', personAnchor: 'p1', situation: 'unlinked' }), row({ accountId: 'a3', personAnchor: 'p2' })]);
  assert.deepEqual(rows.map((r) => r.situation), ['disputed', 'disputed', 'inSync']);
  const plan = planReactions(
    [
      row({ accountId: 'a1', personAnchor: 'p1', situation: 'drifted', reaction: 'correct' }),
      row({ target: 'desk', accountId: 'b1', personAnchor: 'p1', situation: 'unlinked', reaction: 'link' }),
      row({ accountId: 'a2', personAnchor: 'p2', situation: 'goneActive', reaction: 'correct' }),
      row({ accountId: 'a3', situation: 'orphan', reaction: 'suspend' }),
      row({ accountId: 'a4', situation: 'orphan', reaction: 'report' }),
    ],
    'run-1',
    '2026-11-30T00:00:00.000Z',
  );
  assert.deepEqual(plan.events.map((e) => [e.anchor, e.kind, e.source, e.eventId]), [
    ['p1', 'sync', 'reconcile', 'reconcile-run-1-p1'],
    ['p2', 'leaver', 'reconcile', 'reconcile-run-1-p2'],
  ]);
  assert.deepEqual(plan.suspensions.map((s) => s.accountId), ['a3']);
  assert.equal(plan.changedSubjects, 3);
});

test('reaction settings: defaults, global and per-target overrides', () => {
  const config = reconcileConfigSchema.parse({ reactions: { orphan: 'suspend' }, targets: { desk: { reactions: { drifted: 'report' } } } });
  assert.equal(reconcileSettingsFor(config, 'crm', targetDescription('salesforce')).reactions.drifted, 'correct');
  assert.equal(reconcileSettingsFor(config, 'crm', targetDescription('salesforce')).reactions.orphan, 'suspend');
  assert.equal(reconcileSettingsFor(config, 'desk', targetDescription('scim')).reactions.drifted, 'report');
  assert.equal(reconcileSettingsFor(undefined, 'hs', targetDescription('hubspot')).storesAnchor, false);
  assert.throws(() => reconcileConfigSchema.parse({ reactions: { disputed: 'correct' } }));
});

test('pages: the same accounts per page whether the stream continues or is re-read', async () => {
  const all = Array.from({ length: 7 }, (_, i) => account(`p${i}`));
  let opened = 0;
  const open = () => {
    opened++;
    return (async function* () {
      yield* all;
    })();
  };
  const pager = new AccountPager(open, 3);
  assert.deepEqual((await pager.page(0)).map((a) => a.anchor), ['p0', 'p1', 'p2']);
  assert.ok(pager.canServe(1) && !pager.canServe(2));
  assert.deepEqual((await pager.page(1)).map((a) => a.anchor), ['p3', 'p4', 'p5']);
  assert.equal(pager.done, false);
  await pager.close();
  const fresh = new AccountPager(open, 3);
  assert.deepEqual((await fresh.page(2)).map((a) => a.anchor), ['p6']);
  assert.equal(fresh.done, true);
  assert.equal(opened, 2);
  const failing = new AccountPager(async function* () {
    yield account('p0');
    yield account('p1');
    throw new Error('target down');
  }, 1);
  assert.equal((await failing.page(0)).length, 1);
  await assert.rejects(failing.page(1), /target down/, 'a failed read-ahead fails the page that needed it');
  assert.equal(failing.canServe(1), false, 'and the pager is done for: the retry re-reads');
  const exact = new AccountPager(() => open(), 7);
  await exact.page(0);
  assert.equal(exact.done, true, 'a full last page already says done');
});

test('CSV: one row per account, quoted where needed, no formula injection', () => {
  const csv = toCsv([row({ accountId: 'a1', username: '=cmd|x', detail: 'differs: update attribute:Department, grant group:Agents' })]);
  const [header, line] = csv.trim().split('\n');
  assert.equal(header, 'target,accountId,situation,personAnchor,reaction,username,detail,also');
  assert.equal(line, `crm,a1,inSync,,none,'=cmd|x,"differs: update attribute:Department, grant group:Agents",`);
});

test('the streamed JSON report parses back to the same rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-report-'));
  const files = new RunFiles(dir, 'run:1');
  const rows = [row({ accountId: 'a1' }), row({ accountId: 'a2', detail: 'quote " and, comma' })];
  await writeReport(files, { runKey: 'run:1' }, rows);
  const parsed = JSON.parse(readFileSync(files.reportJson, 'utf8')) as { runKey: string; rows: ReconcileRow[] };
  assert.equal(parsed.runKey, 'run:1');
  assert.deepEqual(parsed.rows, rows);
  assert.equal(readFileSync(files.reportCsv, 'utf8'), toCsv(rows));
  assert.match(files.reportJson, /run_1\.json$/);
  rmSync(dir, { recursive: true, force: true });
});
