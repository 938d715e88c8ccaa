/**
 * The emulators keep their data in a state file (what the demo's restart relies on): written through
 * the real clients, stopped, started again on the same file, read back through the same clients with
 * the same ids. A temporary file left by a write that never finished must not count as the state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from 'jsforce';
import { Client as HubspotClient } from '@hubspot/api-client';
import { DEFAULT_CLIENTS, startSalesforceEmulator, type SalesforceEmulator } from '../../emulators/salesforce';
import { startHubspotEmulator } from '../../emulators/hubspot';
import { startScimEmulator } from '../../emulators/scim';
import { startHighspotEmulator } from '../../emulators/highspot';
import { testEnv } from '../support/env';
import { pollUntil } from '../support/poll';
import { userFields } from '../salesforce/helpers';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const scratch = testEnv.scratchDir('emulator-state');
let fileCount = 0;
const statePath = (name: string) => join(scratch, `${++fileCount}-${name}.json`);

/** What a process killed in the middle of a write leaves beside the state file. */
function leaveTornWrite(path: string): string {
  const temp = `${path}.999999.tmp`;
  writeFileSync(temp, '{"format":1,"emulator":"trunc');
  return temp;
}

/** Waits until the state file on disk mentions `text`: the write landed without any close. */
function fileMentions(path: string, text: string): Promise<unknown> {
  return pollUntil(`${path} to contain ${text}`, async () => existsSync(path) && readFileSync(path, 'utf8').includes(text), { timeoutMs: 10_000, intervalMs: 20, accept: Boolean });
}

async function salesforceConnection(emulator: SalesforceEmulator): Promise<Connection> {
  const conn = new Connection({ loginUrl: emulator.url, version: '59.0', oauth2: { clientId: DEFAULT_CLIENTS[0].clientId, clientSecret: DEFAULT_CLIENTS[0].clientSecret } });
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

test('Salesforce: users and permission set assignments survive a restart with their ids; new ids never repeat', async () => {
  const path = statePath('salesforce');
  const first = await startSalesforceEmulator({ statePath: path });
  let userId: string;
  let assignmentId: string;
  let idsBefore: Set<unknown>;
  try {
    const conn = await salesforceConnection(first);
    const profile = await conn.query<{ Id: string }>("SELECT Id FROM Profile WHERE Name = 'Standard User'");
    const created = await conn.sobject('User').create(userFields(profile.records[0]!.Id, 'kept@example.com', { FirstName: 'Kept', Department: 'Sales' }));
    userId = created.id!;
    const consoleSet = await conn.query<{ Id: string }>("SELECT Id FROM PermissionSet WHERE Name = 'Service_Console'");
    assignmentId = (await conn.sobject('PermissionSetAssignment').create({ AssigneeId: userId, PermissionSetId: consoleSet.records[0]!.Id })).id!;
    // Persisted as it happens, not only on close: a copy taken now is what a crash would leave.
    await fileMentions(path, assignmentId);
    idsBefore = new Set(Object.values(first.store.snapshot()).flat().map((row) => row.Id));
  } finally {
    await first.close();
  }
  const torn = leaveTornWrite(path);

  const second = await startSalesforceEmulator({ statePath: path });
  try {
    const conn = await salesforceConnection(second);
    const user = await conn.sobject('User').retrieve(userId) as unknown as Record<string, unknown>;
    assert.equal(user.Username, 'kept@example.com');
    assert.equal(user.Department, 'Sales');
    const assignments = await conn.query<{ Id: string; PermissionSet: { Name: string } }>(`SELECT Id, PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '${userId}'`);
    assert.deepEqual(assignments.records.map((r) => [r.Id, r.PermissionSet.Name]).filter(([, name]) => name === 'Service_Console'), [[assignmentId, 'Service_Console']]);
    const profile = await conn.query<{ Id: string }>("SELECT Id FROM Profile WHERE Name = 'Standard User'");
    const next = await conn.sobject('User').create(userFields(profile.records[0]!.Id, 'next@example.com'));
    assert.ok(!idsBefore.has(next.id), `new id ${next.id} was already used before the restart`);
    assert.equal(existsSync(torn), false, 'the torn temp file was cleared away at start');
  } finally {
    await second.close();
  }
});

test('Salesforce: a state file that is not complete JSON stops the start instead of silently reseeding', async () => {
  const path = statePath('salesforce-broken');
  writeFileSync(path, '{"format":1,"emulator":"salesforce","state":{');
  await assert.rejects(startSalesforceEmulator({ statePath: path }), /not valid JSON; delete it/);
});

test('HubSpot: users with role and teams survive a restart with their ids; a deleted id is not handed out again', async () => {
  const path = statePath('hubspot');
  const seed = { roles: [{ name: 'Sales Rep' }], teams: ['EMEA', 'AMER'] };
  const token = `pat-na1-${randomBytes(6).toString('hex')}`;
  const first = await startHubspotEmulator({ tokens: [token], seed, statePath: path });
  let keptId: string;
  let archivedId: string;
  try {
    const users = new HubspotClient({ accessToken: token, basePath: first.url }).settings.users;
    const roles = await users.rolesApi.getAll();
    const teams = await users.teamsApi.getAll();
    const emea = teams.results.find((t) => t.name === 'EMEA')!.id;
    const amer = teams.results.find((t) => t.name === 'AMER')!.id;
    keptId = (await users.usersApi.create({ email: 'kept@example.com', firstName: 'Kept', roleId: roles.results[0]!.id, primaryTeamId: emea, secondaryTeamIds: [amer] })).id;
    archivedId = (await users.usersApi.create({ email: 'gone@example.com' })).id;
    await users.usersApi.archive(archivedId);
  } finally {
    await first.close();
  }
  leaveTornWrite(path);

  const second = await startHubspotEmulator({ tokens: [token], seed: { roles: [], teams: [] }, statePath: path });
  try {
    const users = new HubspotClient({ accessToken: token, basePath: second.url }).settings.users;
    const kept = await users.usersApi.getById(keptId);
    assert.equal(kept.email, 'kept@example.com');
    assert.equal(kept.firstName, 'Kept');
    assert.equal((await users.rolesApi.getAll()).results.find((r) => r.id === kept.roleId)?.name, 'Sales Rep', 'roles come from the state, not the new seed');
    const teams = await users.teamsApi.getAll();
    assert.equal(teams.results.find((t) => t.id === kept.primaryTeamId)?.name, 'EMEA');
    assert.deepEqual(kept.secondaryTeamIds?.map((id) => teams.results.find((t) => t.id === id)?.name), ['AMER']);
    await assert.rejects(users.usersApi.getById(archivedId), (err: { code?: number }) => err.code === 404);
    const next = await users.usersApi.create({ email: 'next@example.com' });
    assert.ok(Number(next.id) > Number(archivedId), `new id ${next.id} after ${archivedId}`);
  } finally {
    await second.close();
  }
});

/** SCIM over plain HTTP, as the SCIM connector speaks it. */
function scimClient(baseUrl: string, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as Record<string, any>;
  };
}

async function provisionIntoGroup(scim: ReturnType<typeof scimClient>, userName: string, groupName: string) {
  const user = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, name: { givenName: 'Kept', familyName: 'User' }, active: true });
  const groups = await scim('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${groupName}"`)}`);
  const groupId = String(groups.Resources[0].id);
  await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] });
  return { userId: String(user.id), groupId };
}

test('SCIM: users, group ids and memberships survive a restart of the emulator process', async () => {
  const path = statePath('scim');
  const token = randomBytes(12).toString('hex');
  const seed = { groups: ['Agents', 'Admins'] };
  const first = await startScimEmulator({ token, seed, statePath: path });
  let ids: { userId: string; groupId: string };
  let groupIdsBefore: string[];
  try {
    ids = await provisionIntoGroup(scimClient(first.url, token), 'kept.user@example.com', 'Agents');
    groupIdsBefore = (await first.state()).groups.map((g) => g.id).sort();
  } finally {
    await first.close();
  }
  leaveTornWrite(path);

  const second = await startScimEmulator({ token, seed, statePath: path });
  try {
    const scim = scimClient(second.url, token);
    const user = await scim('GET', `/Users/${ids.userId}`);
    assert.equal(user.userName, 'kept.user@example.com');
    assert.deepEqual(user.groups.map((g: { value: string; display: string }) => [g.value, g.display]), [[ids.groupId, 'Agents']]);
    const groups = await scim('GET', '/Groups');
    assert.deepEqual(groups.Resources.map((g: { id: string }) => g.id).sort(), groupIdsBefore, 'the seed did not add its groups again');
    assert.equal(groups.totalResults, 2);
  } finally {
    await second.close();
  }
});

test('SCIM: a write lands in the state file while the process runs, so a crash keeps it', async () => {
  const path = statePath('scim-crash');
  const token = randomBytes(12).toString('hex');
  const first = await startScimEmulator({ token, seed: { groups: ['Agents'] }, statePath: path });
  const copy = `${path}.as-a-crash-leaves-it.json`;
  let ids: { userId: string; groupId: string };
  try {
    ids = await provisionIntoGroup(scimClient(first.url, token), 'crash.user@example.com', 'Agents');
    const hasMembership = () => (JSON.parse(readFileSync(path, 'utf8')) as { state: { groups: { data: { members: { value: string }[] } }[] } }).state.groups[0]!.data.members.some((m) => m.value === ids.userId);
    await pollUntil('the membership in the state file', async () => hasMembership(), { timeoutMs: 10_000, intervalMs: 20, accept: Boolean });
    // Taken while the process still runs and before any close: exactly what a kill -9 now would leave.
    copyFileSync(path, copy);
  } finally {
    await first.close();
  }
  const second = await startScimEmulator({ token, seed: { groups: ['Agents'] }, statePath: copy });
  try {
    const user = await scimClient(second.url, token)('GET', `/Users/${ids.userId}`);
    assert.deepEqual(user.groups.map((g: { value: string }) => g.value), [ids.groupId]);
  } finally {
    await second.close();
  }
});

test('Highspot: SCIM-provisioned users and their recorded activity survive a restart (REST read side too)', async () => {
  const path = statePath('highspot');
  const credentials = { scimToken: randomBytes(12).toString('hex'), apiKey: randomBytes(6).toString('hex'), apiSecret: randomBytes(12).toString('hex') };
  const seed = { groups: ['All Employees', 'Sales - EMEA'] };
  const first = await startHighspotEmulator({ ...credentials, seed, statePath: path });
  let ids: { userId: string; groupId: string };
  try {
    ids = await provisionIntoGroup(scimClient(first.scimUrl, credentials.scimToken), 'seller@example.com', 'Sales - EMEA');
    await first.recordActivity('seller@example.com', '2026-01-02T03:04:05.000Z');
  } finally {
    await first.close();
  }
  leaveTornWrite(path);

  const second = await startHighspotEmulator({ ...credentials, seed, statePath: path });
  try {
    const user = await scimClient(second.scimUrl, credentials.scimToken)('GET', `/Users/${ids.userId}`);
    assert.deepEqual(user.groups.map((g: { value: string }) => g.value), [ids.groupId]);
    const res = await fetch(`${second.restUrl}/users/${ids.userId}`, { headers: { authorization: `Basic ${Buffer.from(`${credentials.apiKey}:${credentials.apiSecret}`).toString('base64')}` } });
    const rest = (await res.json()) as { id: string; verified: boolean; last_activity_at: string | null };
    assert.equal(res.status, 200);
    assert.deepEqual([rest.id, rest.verified, rest.last_activity_at], [ids.userId, true, '2026-01-02T03:04:05.000Z']);
  } finally {
    await second.close();
  }
});
