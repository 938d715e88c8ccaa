/**
 * The SCIM connector reads one account's memberships without reading anyone else's: findAccount
 * takes them from the user's own `groups`, the entitlement read filters groups by member and lists
 * the catalog without members. An SP that refuses the member filter, or leaves `groups` out of its
 * users, still gets correct answers (the filter, or the full listing, asked once per connector).
 * Requests are recorded on the way to the emulator (the connector calls the global fetch).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScimEmulatorHandle } from '../../emulators/scim';
import type { TargetAdapter } from '../../targets/adapter';
import { desiredAccount, scimAdapter, startEmulator } from './support';

interface Recorded {
  method: string;
  path: string;
  params: URLSearchParams;
}

/** Every request the connector sends, and optional rewrites of the answers (to play a different SP). */
const seen: Recorded[] = [];
let refuseMemberFilter = false;
let dropUserGroups = false;
const realFetch = globalThis.fetch;

function isMemberFilter(params: URLSearchParams): boolean {
  return /^members\[value eq /.test(params.get('filter') ?? '');
}

before(() => {
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    seen.push({ method, path: url.pathname.replace(/^.*\/scim\/v2/, ''), params: url.searchParams });
    if (refuseMemberFilter && isMemberFilter(url.searchParams)) {
      const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidFilter', detail: 'filtering on "members" is not supported' };
      return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/scim+json' } });
    }
    const res = await realFetch(input, init);
    if (!dropUserGroups || method !== 'GET' || !url.pathname.includes('/Users')) return res;
    // An SP that does not expose the read-only `groups` attribute on its users.
    const body = (await res.json()) as { groups?: unknown; Resources?: Array<{ groups?: unknown }> };
    delete body.groups;
    for (const user of body.Resources ?? []) delete user.groups;
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  }) as typeof fetch;
});
after(() => {
  globalThis.fetch = realFetch;
});

const groupReads = () => seen.filter((r) => r.method === 'GET' && r.path === '/Groups');
const names = (account: { entitlements: Array<{ kind: string; name: string }> } | null) => (account?.entitlements ?? []).filter((e) => e.kind === 'group').map((e) => e.name).sort();

describe('SCIM membership reads', () => {
  let emulator: ScimEmulatorHandle;
  let token: string;
  before(async () => {
    ({ emulator, token } = await startEmulator({ defaultPageSize: 2, maxPageSize: 3 }, { groups: ['Agents', 'Team Leads', 'Admins', 'Auditors'] }));
  });
  after(() => emulator.close());
  beforeEach(() => {
    seen.length = 0;
    refuseMemberFilter = false;
    dropUserGroups = false;
  });

  /** A fresh connector (nothing learned about the SP yet) and an account in Agents and Admins. */
  async function personIn(anchor: string): Promise<{ adapter: TargetAdapter; accountId: string }> {
    const setUp = scimAdapter(emulator, token);
    const { accountId } = await setUp.ensureAccount(desiredAccount(anchor));
    await setUp.ensureEntitlements(accountId, [{ kind: 'group', name: 'Agents' }, { kind: 'group', name: 'Admins' }], 'merge');
    seen.length = 0;
    return { adapter: scimAdapter(emulator, token), accountId };
  }

  test('findAccount takes the groups from the user itself; the entitlement read filters by member and lists no member lists', async () => {
    const { adapter, accountId } = await personIn('m-own');
    assert.deepEqual(names(await adapter.findAccount({ anchor: 'm-own' })), ['Admins', 'Agents']);
    assert.deepEqual(groupReads(), [], 'findAccount read no group');

    const changes = await adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'Agents' }, { kind: 'group', name: 'Auditors' }], 'overwrite');
    assert.deepEqual(changes.map((c) => `${c.action} ${c.subject}`).sort(), ['grant group:Auditors', 'revoke group:Admins']);
    assert.ok(groupReads().some((r) => isMemberFilter(r.params)), 'the account\'s groups came from a member filter');
    for (const read of groupReads()) assert.doesNotMatch(read.params.get('attributes') ?? 'members', /members/, `no group read asks for members: ${read.params.toString()}`);
    assert.deepEqual(names(await adapter.findAccount({ anchor: 'm-own' })), ['Agents', 'Auditors']);
  });

  test('an SP whose users carry no groups attribute is asked for the member\'s groups by filter', async () => {
    const { adapter } = await personIn('m-nogroups');
    dropUserGroups = true;
    assert.deepEqual(names(await adapter.findAccount({ anchor: 'm-nogroups' })), ['Admins', 'Agents']);
    assert.equal(groupReads().length, 1);
    assert.ok(isMemberFilter(groupReads()[0]!.params));
  });

  test('an SP that refuses the member filter gets the full listing, asked once per connector, with the same answers', async () => {
    const { adapter, accountId } = await personIn('m-nofilter');
    refuseMemberFilter = true;
    dropUserGroups = true;
    assert.deepEqual(names(await adapter.findAccount({ anchor: 'm-nofilter' })), ['Admins', 'Agents']);
    const changes = await adapter.ensureEntitlements(accountId, [{ kind: 'group', name: 'Team Leads' }], 'overwrite');
    assert.deepEqual(changes.map((c) => `${c.action} ${c.subject}`).sort(), ['grant group:Team Leads', 'revoke group:Admins', 'revoke group:Agents']);
    assert.deepEqual(names(await adapter.findAccount({ anchor: 'm-nofilter' })), ['Team Leads']);
    assert.equal(groupReads().filter((r) => isMemberFilter(r.params)).length, 1, 'the refused filter was not asked again');
  });
});
