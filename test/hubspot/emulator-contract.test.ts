/**
 * Contract tests: the real @hubspot/api-client (with its own retries ON, as the contract probed it)
 * against the emulator over HTTP. This file owns the process-wide SDK decorator singleton: it builds
 * one client with numberOfApiCallRetries = 3 and one without retries, before any API is used.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startHubspotEmulator, hubspotSeedSchema, type HubspotEmulator } from '../../emulators/hubspot';
import { TIER_LIMITS } from '../../emulators/hubspot/seed';

const TOKEN = 'pat-na1-contract';
let emulator: HubspotEmulator;
let sdk: Client['settings']['users'];

before(async () => {
  emulator = await startHubspotEmulator({
    tokens: [TOKEN],
    scopedTokens: { 'pat-na1-readonly': ['settings.users.read'] },
    seed: {
      roles: [{ name: 'Sales Rep' }, { name: 'Billing Admin', requiresBillingWrite: true }],
      teams: ['EMEA', 'AMER'],
      users: [{ email: 'owner@example.com', superAdmin: true }],
    },
  });
  sdk = new Client({ accessToken: TOKEN, basePath: emulator.url, numberOfApiCallRetries: 3 }).settings.users;
});

after(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.faults.reset();
  emulator.rateLimitFaultPolicy = 'TEN_SECONDLY_ROLLING';
});

async function raw(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

test('users list answers with and without the trailing slash, and roles/teams win over {id}', async () => {
  const plain = await raw('GET', '/settings/v3/users');
  const slashed = await raw('GET', '/settings/v3/users/?limit=10');
  assert.equal(plain.status, 200);
  assert.equal(slashed.status, 200);
  assert.deepEqual(plain.json.results, slashed.json.results);
  assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
  const roles = await sdk.rolesApi.getAll();
  assert.deepEqual(roles.results.map((r) => r.name), ['Sales Rep', 'Billing Admin']);
  const teams = await sdk.teamsApi.getAll();
  assert.deepEqual(teams.results.map((t) => t.name), ['EMEA', 'AMER']);
  const page = await sdk.usersApi.getPage();
  assert.ok(page.results.some((u) => u.email === 'owner@example.com' && u.superAdmin === true), 'the seeded super admin is listed');
});

test('create answers 201 and archive 204, which the SDK accepts; the user is gone afterwards', async () => {
  const created = await sdk.usersApi.create({ email: 'new.user@example.com', firstName: 'New', roleId: '100', sendWelcomeEmail: true });
  assert.equal(created.sendWelcomeEmail, true);
  assert.deepEqual(created.roleIds, ['100']);
  const reread = await sdk.usersApi.getById(created.id);
  assert.equal(reread.sendWelcomeEmail, false, 'later reads report sendWelcomeEmail false');
  await sdk.usersApi.archive(created.id);
  await assert.rejects(sdk.usersApi.getById(created.id), (err: any) => err.code === 404 && err.body.category === 'OBJECT_NOT_FOUND' && !!err.body.correlationId);
  await assert.rejects(sdk.usersApi.archive(created.id), (err: any) => err.code === 404);
});

test('idProperty=EMAIL finds users by URL-encoded email in any letter case, for GET, PUT and DELETE', async () => {
  const created = await sdk.usersApi.create({ email: 'Mixed.Case+tag@Example.com' });
  const found = await sdk.usersApi.getById('mixed.case+TAG@example.COM', 'EMAIL');
  assert.equal(found.id, created.id);
  const updated = await sdk.usersApi.replace('MIXED.case+tag@example.com', { lastName: 'Updated' }, 'EMAIL');
  assert.equal(updated.lastName, 'Updated');
  await assert.rejects(sdk.usersApi.getById('mixed.case+tag@example.com'), (err: any) => err.code === 404, 'without idProperty the id is a user id');
  await sdk.usersApi.archive('mixed.case+tag@example.com', 'EMAIL');
  assert.equal(emulator.store.findByEmail('mixed.case+tag@example.com'), undefined);
});

test('an email that exists in another letter case is a 409 CONFLICT naming the existing id', async () => {
  const first = await sdk.usersApi.create({ email: 'dup@example.com' });
  await assert.rejects(sdk.usersApi.create({ email: 'DUP@example.com' }), (err: any) => err.code === 409 && err.body.category === 'CONFLICT' && err.body.message.includes(first.id));
});

test('PUT is a partial update, clears with empty values, and never changes the email', async () => {
  const user = await sdk.usersApi.create({ email: 'partial@example.com', firstName: 'Par', lastName: 'Tial', roleId: '100', primaryTeamId: '200', secondaryTeamIds: ['201'] });
  const renamed = await sdk.usersApi.replace(user.id, { firstName: 'Parry' });
  assert.equal(renamed.lastName, 'Tial');
  assert.equal(renamed.roleId, '100');
  assert.equal(renamed.primaryTeamId, '200');
  const cleared = await sdk.usersApi.replace(user.id, { primaryTeamId: '', secondaryTeamIds: [] });
  assert.equal(cleared.primaryTeamId, undefined);
  assert.deepEqual(cleared.secondaryTeamIds, []);
  const emailChange = await raw('PUT', `/settings/v3/users/${user.id}`, { email: 'other@example.com' });
  assert.equal(emailChange.status, 400);
  assert.equal(emailChange.json.category, 'VALIDATION_ERROR');
  assert.equal(emulator.store.findByEmail('partial@example.com')?.id, user.id);
});

test('unknown role or team is a 400 VALIDATION_ERROR; a billing role needs the billing-write scope', async () => {
  await assert.rejects(sdk.usersApi.create({ email: 'badrole@example.com', roleId: '999' }), (err: any) => err.code === 400 && err.body.category === 'VALIDATION_ERROR');
  await assert.rejects(sdk.usersApi.create({ email: 'badteam@example.com', secondaryTeamIds: ['999'] }), (err: any) => err.code === 400 && err.body.errors[0].in === 'secondaryTeamIds');
  const readOnly = await raw('POST', '/settings/v3/users', { email: 'ro@example.com' }, 'pat-na1-readonly');
  assert.equal(readOnly.status, 403);
  assert.equal(readOnly.json.category, 'MISSING_SCOPES');
  assert.deepEqual(readOnly.json.errors[0].context.requiredGranularScopes, ['settings.users.write']);
  assert.equal(emulator.store.findByEmail('badrole@example.com'), undefined);
});

test('a wrong bearer token is 401 INVALID_AUTHENTICATION with a correlationId, through the SDK too', async () => {
  const wrong = await raw('GET', '/settings/v3/users', undefined, 'pat-na1-wrong');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.category, 'INVALID_AUTHENTICATION');
  assert.match(wrong.json.correlationId, /^[0-9a-f-]{36}$/);
  const missing = await fetch(`${emulator.url}/settings/v3/users`);
  assert.equal(missing.status, 401);
});

test('cursor paging: limit <= 100, paging.next.after until the last page, stable while users are added', async () => {
  for (let i = 0; i < 230; i += 1) emulator.store.create({ email: `pager${String(i).padStart(3, '0')}@example.com` });
  const seen: string[] = [];
  let after: string | undefined;
  let pages = 0;
  let addedDuringScan = false;
  let lastPaging: unknown = 'not read';
  do {
    const page = await sdk.usersApi.getPage(500, after);
    lastPaging = page.paging;
    assert.ok(page.results.length <= 100, 'a page never exceeds 100 users');
    seen.push(...page.results.map((u) => u.email));
    after = page.paging?.next?.after;
    if (after) assert.match(page.paging!.next!.link!, /\/settings\/v3\/users\/\?limit=100&after=/);
    if (!addedDuringScan) {
      emulator.store.create({ email: 'added-mid-scan@example.com' });
      addedDuringScan = true;
    }
    pages += 1;
  } while (after);
  assert.ok(pages >= 3);
  assert.equal(new Set(seen).size, seen.length, 'no user is served twice');
  assert.deepEqual(seen.filter((e) => e.startsWith('pager')).length, 230, 'no user is skipped');
  assert.ok(seen.includes('added-mid-scan@example.com'), 'a user created during the scan appears at the end');
  assert.equal(lastPaging, undefined, 'the last page has no paging at all');
});

test('teams list userIds (primary) and secondaryUserIds derived from the users', async () => {
  const a = await sdk.usersApi.create({ email: 'team.a@example.com', primaryTeamId: '200', secondaryTeamIds: ['201'] });
  const b = await sdk.usersApi.create({ email: 'team.b@example.com', primaryTeamId: '201', secondaryTeamIds: ['200', '201'] });
  const teams = await sdk.teamsApi.getAll();
  const emea = teams.results.find((t) => t.name === 'EMEA')!;
  const amer = teams.results.find((t) => t.name === 'AMER')!;
  assert.ok(emea.userIds.includes(a.id) && emea.secondaryUserIds.includes(b.id));
  assert.ok(amer.userIds.includes(b.id) && amer.secondaryUserIds.includes(a.id));
  assert.ok(!amer.secondaryUserIds.includes(b.id), 'a primary team is not also a secondary one');
});

test('the SDK retries injected 5xx and the exact "secondly" 429, but not a DAILY 429', async () => {
  emulator.faults.set({ queue: ['serverError', 'serverError'] });
  const before5xx = emulator.stats.requests;
  await sdk.rolesApi.getAll();
  assert.equal(emulator.stats.requests - before5xx, 3, 'two 500s then a success: three attempts');

  emulator.rateLimitFaultPolicy = 'SECONDLY';
  emulator.faults.set({ queue: ['rateLimit'] });
  await sdk.rolesApi.getAll();
  assert.equal(emulator.faults.injected.rateLimit, 1);

  emulator.rateLimitFaultPolicy = 'DAILY';
  emulator.faults.set({ queue: ['rateLimit'] });
  await assert.rejects(sdk.rolesApi.getAll(), (err: any) => err.code === 429 && err.body.policyName === 'DAILY');
});

test('a dropped connection surfaces as a network error; drop-after-write applies the write first', async () => {
  emulator.faults.set({ queue: ['drop'] });
  await assert.rejects(sdk.usersApi.create({ email: 'dropped@example.com' }), (err: any) => err.code === undefined);
  assert.equal(emulator.store.findByEmail('dropped@example.com'), undefined);
  emulator.faults.set({ queue: ['dropAfterWrite'] });
  await sdk.usersApi.getPage(1); // a read does not consume the queued crash-after-write
  await assert.rejects(sdk.usersApi.create({ email: 'landed@example.com' }), (err: any) => err.code === undefined);
  assert.ok(emulator.store.findByEmail('landed@example.com'), 'the create landed before the connection dropped');
});

test('admin endpoints steer faults and expose state without auth', async () => {
  const put = await fetch(`${emulator.url}/__emulator/faults`, { method: 'PUT', body: JSON.stringify({ latencyMs: 5, rateLimitPolicy: 'SECONDLY' }) });
  assert.equal(put.status, 200);
  assert.equal(emulator.faults.current.latencyMs, 5);
  assert.equal(emulator.rateLimitFaultPolicy, 'SECONDLY');
  const faults = (await (await fetch(`${emulator.url}/__emulator/faults`)).json()) as any;
  assert.equal(faults.settings.latencyMs, 5);
  const state = (await (await fetch(`${emulator.url}/__emulator/state`)).json()) as any;
  assert.equal(state.tier, 'professional');
  assert.equal(state.rateLimit.max, 190);
  assert.ok(state.users.some((u: any) => u.email === 'owner@example.com'));
  await fetch(`${emulator.url}/__emulator/faults`, { method: 'PUT', body: JSON.stringify({ reset: true }) });
  assert.equal(emulator.faults.current.latencyMs, 0);
});

test('the rolling window answers 429 TEN_SECONDLY_ROLLING with rate-limit headers, and the SDK waits it out', async () => {
  const limited = await startHubspotEmulator({ tokens: [TOKEN], rateLimit: { max: 3, intervalMs: 2_000 } });
  try {
    const statuses: number[] = [];
    let lastLimited: Awaited<ReturnType<typeof raw>> | undefined;
    for (let i = 0; i < 4; i += 1) {
      const res = await fetch(`${limited.url}/settings/v3/users/roles`, { headers: { authorization: `Bearer ${TOKEN}` } });
      statuses.push(res.status);
      if (res.status === 429) lastLimited = { status: 429, headers: res.headers, json: await res.json() };
      else await res.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(lastLimited!.json.policyName, 'TEN_SECONDLY_ROLLING');
    assert.equal(lastLimited!.json.message, 'You have reached your ten_secondly_rolling limit.');
    assert.equal(lastLimited!.json.errorType, 'RATE_LIMIT');
    assert.match(lastLimited!.json.groupName, /^publicapi:private_app-api-calls-ten-secondly:/);
    assert.equal(lastLimited!.headers.get('x-hubspot-ratelimit-max'), '3');
    assert.equal(lastLimited!.headers.get('x-hubspot-ratelimit-remaining'), '0');
    assert.equal(lastLimited!.headers.get('x-hubspot-ratelimit-interval-milliseconds'), '2000');
    assert.ok(lastLimited!.headers.get('x-hubspot-ratelimit-daily'));
    assert.ok(lastLimited!.headers.get('x-hubspot-ratelimit-daily-remaining'));
    // The SDK's only wait for this policy is 10 s per attempt; the 2 s window has cleared by then.
    const roles = await sdkWithRetriesAt(limited.url).rolesApi.getAll();
    assert.ok(roles.results.length > 0);
    assert.ok(limited.stats.rateLimitedByLimiter >= 2, 'the SDK call was throttled first and then retried');
  } finally {
    await limited.close();
  }
});

/** A retrying SDK client for another emulator; same retry policy as `sdk`, so the singleton is unchanged. */
function sdkWithRetriesAt(basePath: string): Client['settings']['users'] {
  return new Client({ accessToken: TOKEN, basePath, numberOfApiCallRetries: 3 }).settings.users;
}

test('daily quotas per tier follow HubSpot\'s current figures (Professional 625,000)', async () => {
  assert.deepEqual(Object.fromEntries(Object.entries(TIER_LIMITS).map(([tier, l]) => [tier, l.daily])), { starter: 250_000, professional: 625_000, enterprise: 1_000_000 });
  const res = await raw('GET', '/settings/v3/users/roles');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-hubspot-ratelimit-daily'), '625000', 'the default (Professional) emulator announces the corrected quota');
});

test('the demo catalog\'s hubspot section is a valid seed, and an unknown team in a seed user is rejected', () => {
  const catalog = parseYaml(readFileSync(join(__dirname, '..', '..', 'config', 'demo-catalog.yaml'), 'utf8')) as { hubspot: unknown };
  const seed = hubspotSeedSchema.parse(catalog.hubspot);
  assert.equal(seed.tier, 'professional');
  assert.ok(seed.roles.some((r) => r.name === 'No Access'));
  assert.ok(seed.users.some((u) => u.superAdmin), 'a portal always has a super admin');
  assert.equal(hubspotSeedSchema.safeParse({ teams: ['EMEA'], users: [{ email: 'a@example.com', primaryTeam: 'Mars' }] }).success, false);
});
