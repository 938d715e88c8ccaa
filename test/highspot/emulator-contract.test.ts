/**
 * Contract tests for the Highspot emulator over HTTP: the REST v1.0 read side as far as it is known
 * (Basic auth, 401 text, collection envelope, offset paging, list=all|verified|unverified, email
 * filter) and the provisional SCIM write side (highspot.md §5, targets/highspot/assumed-contract.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HighspotEmulatorHandle } from '../../emulators/highspot';
import { basicAuth, startEmulator, type HighspotCredentials } from './support';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('Highspot emulator', () => {
  let emulator: HighspotEmulatorHandle;
  let credentials: HighspotCredentials;
  before(async () => {
    ({ emulator, credentials } = await startEmulator({
      groups: ['All Employees', 'Sales - EMEA', 'Marketing'],
      users: [
        { userName: 'active.user@example.com', email: 'active.user@example.com', givenName: 'Active', familyName: 'User', lastActivityAt: '2026-11-01T09:30:00.000Z', groups: ['All Employees'] },
        { userName: 'invited@example.com', email: 'invited@example.com' },
        ...['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => ({ userName: `page-${n}@example.com` })),
      ],
    }));
  });
  after(() => emulator.close());

  const rest = async (path: string, auth = basicAuth(credentials)) => {
    const res = await fetch(`${emulator.restUrl}${path}`, { headers: { authorization: auth } });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: res.ok || res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
  };
  const scim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${emulator.scimUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${credentials.scimToken}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  test('REST without or with wrong credentials: 401 text/plain "Could not authenticate user."', async () => {
    for (const auth of ['', `Basic ${Buffer.from(`${credentials.apiKey}:wrong`).toString('base64')}`, `Bearer ${credentials.scimToken}`]) {
      const res = await rest('/users', auth);
      assert.equal(res.status, 401);
      assert.match(res.type, /text\/plain/);
      assert.equal(res.text, 'Could not authenticate user.');
    }
  });

  test('GET /users lists verified users by default; list=unverified and list=all widen it', async () => {
    const verified = await rest('/users');
    assert.deepEqual(verified.body.collection.map((u: { email: string }) => u.email), ['active.user@example.com']);
    const unverified = await rest('/users?list=unverified&limit=100');
    assert.ok(unverified.body.collection.some((u: { email: string }) => u.email === 'invited@example.com'));
    assert.ok(!unverified.body.collection.some((u: { email: string }) => u.email === 'active.user@example.com'));
    const all = await rest('/users?list=all');
    assert.equal(all.body.collection.length, 7);
  });

  test('a REST user carries id, email, name, groups and the last activity', async () => {
    const found = await rest(`/users?list=all&email=${encodeURIComponent('ACTIVE.USER@example.com')}`);
    assert.equal(found.body.collection.length, 1, 'email filter is case-insensitive');
    const user = found.body.collection[0];
    assert.equal(user.name, 'Active User');
    assert.equal(user.last_activity_at, '2026-11-01T09:30:00.000Z');
    assert.equal(user.verified, true);
    assert.deepEqual(user.groups.map((g: { title: string }) => g.title), ['All Employees']);
    const one = await rest(`/users/${user.id}`);
    assert.equal(one.body.email, 'active.user@example.com');
    const missing = await rest('/users/000000000000000000000000');
    assert.equal(missing.status, 404);
  });

  test('offset paging with start/limit ends with a short page', async () => {
    const seen: string[] = [];
    for (let start = 0; ; start += 3) {
      const page = await rest(`/users?list=all&start=${start}&limit=3`);
      seen.push(...page.body.collection.map((u: { id: string }) => u.id));
      if (page.body.collection.length < 3) break;
    }
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
  });

  test('GET /groups lists the seeded groups with titles', async () => {
    const groups = await rest('/groups');
    assert.deepEqual(groups.body.collection.map((g: { title: string }) => g.title).sort(), ['All Employees', 'Marketing', 'Sales - EMEA']);
    assert.equal(groups.body.collection.find((g: { title: string }) => g.title === 'All Employees').member_count, 1);
  });

  test('SCIM side: userName must be an e-mail, groups are Highspot-defined, membership by PATCH shows on REST', async () => {
    const bad = await scim('POST', '/Users', { schemas: [USER], userName: 'not-an-email' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidValue');
    assert.equal((await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'New' })).status, 403);
    const user = await scim('POST', '/Users', { schemas: [USER], userName: 'scim.user@example.com', emails: [{ value: 'scim.user@example.com', primary: true }] });
    assert.equal(user.status, 201);
    const group = (await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "marketing"')}`)).body.Resources[0];
    const add = await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: user.body.id }] }] });
    assert.equal(add.status, 200);
    const restUser = await rest(`/users/${user.body.id}`);
    assert.deepEqual(restUser.body.groups.map((g: { title: string }) => g.title), ['Marketing']);
    assert.equal(restUser.body.verified, false, 'never signed in');
  });

  test('SCIM DELETE deactivates: the user remains listed with list=all only', async () => {
    const user = await scim('POST', '/Users', { schemas: [USER], userName: 'leaver@example.com' });
    await emulator.recordActivity('leaver@example.com');
    assert.equal((await scim('DELETE', `/Users/${user.body.id}`)).status, 204);
    assert.equal((await scim('GET', `/Users/${user.body.id}`)).body.active, false);
    const verified = await rest('/users?limit=100');
    assert.ok(!verified.body.collection.some((u: { id: string }) => u.id === user.body.id));
    const all = await rest(`/users?list=all&email=leaver@example.com`);
    assert.equal(all.body.collection[0].active, false);
  });

  test('injected faults reach the REST side: 429 with Retry-After, then 503', async () => {
    await emulator.setFaults({ queue: ['rateLimit', 'serverError'] });
    const limited = await fetch(`${emulator.restUrl}/users`, { headers: { authorization: basicAuth(credentials) } });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal((await rest('/users')).status, 503);
    assert.equal((await rest('/users')).status, 200);
  });
});
