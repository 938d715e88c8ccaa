/**
 * What the tests against scim2-server share: the server's own view of its resources (read past
 * idsync), a fixed interleaving of someone else's request with idsync's, and an adapter bound to
 * the server. See scim2-server.ts for the server itself.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { IdsyncConfig } from '../../app/config';
import { scimConfigSchema, scimTarget } from '../../targets/scim';
import type { TargetAdapter } from '../../targets/adapter';
import type { DirectoryGroupSync } from '../../targets/group-sync';
import { testEnv } from '../support/env';
import { createLdapFixture } from '../directory/support/ldap-fixture';
import { buildConfig, buildRuntime, type Emulators, type Fixture } from '../workflows/support/harness';
import type { Scim2Server } from './scim2-server';

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The server's own view of a resource, and of who is in which group; `at` is read when used (servers start in before hooks). */
export function serverView(at: () => { server: Scim2Server; base: string }) {
  const read = async (path: string) => {
    const { server, base } = at();
    const res = await server.fetch('GET', `${base}${path}`);
    return res.status === 404 ? undefined : (assert.equal(res.status, 200, JSON.stringify(res.body)), res.body!);
  };
  return {
    user: (id: string) => read(`/Users/${id}`),
    group: (id: string) => read(`/Groups/${id}`),
    async groupsOf(userId: string): Promise<string[]> {
      const page = await read('/Groups?count=1000');
      return (page!.Resources as Array<{ displayName: string; members?: Array<{ value: string }> }>)
        .filter((g) => g.members?.some((m) => m.value === userId))
        .map((g) => g.displayName)
        .sort();
    },
    async usersWhere(filter: string) {
      return ((await read(`/Users?filter=${encodeURIComponent(filter)}`))!.Resources ?? []) as Array<Record<string, any>>;
    },
    async postGroup(displayName: string, extra: Record<string, unknown> = {}): Promise<string> {
      const { server, base } = at();
      const res = await server.fetch('POST', `${base}/Groups`, { schemas: [GROUP_SCHEMA], displayName, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return String(res.body!.id);
    },
    async postUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
      const { server, base } = at();
      const res = await server.fetch('POST', `${base}/Users`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return String(res.body!.id);
    },
  };
}

/**
 * Runs `interfere` (someone else's write, or a lost connection) just before idsync's first `method`
 * request to a URL ending in `pathEnd`, while `during` runs: a fixed interleaving, no timing.
 * `dropAnswer` lets that request reach the server and then fails it as a dropped connection would.
 */
export function beforeFirstRequest(method: string, pathEnd: string, interfere: () => Promise<void>, options: { dropAnswer?: boolean } = {}) {
  let happened = false;
  /** The statuses the server gave idsync's `method` requests to that URL while `work` ran. */
  const statuses: number[] = [];
  return {
    statuses,
    async during<T>(work: () => Promise<T>): Promise<T> {
      const realFetch = globalThis.fetch;
      let interfering = false;
      globalThis.fetch = async (input, init) => {
        if (interfering || init?.method !== method || !new URL(String(input)).pathname.endsWith(pathEnd)) return realFetch(input, init);
        const first = !happened;
        happened = true;
        if (first) {
          interfering = true;
          await interfere().finally(() => (interfering = false));
        }
        const answer = await realFetch(input, init);
        statuses.push(answer.status);
        if (first && options.dropAnswer) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        return answer;
      };
      try {
        return await work();
      } finally {
        globalThis.fetch = realFetch;
        assert.ok(happened, `no ${method} ${pathEnd} was sent`);
      }
    },
  };
}

/** idsync's SCIM adapter pointed at `baseUrl` of `server` (pages of 2 unless overridden). */
export function scim2Adapter(server: Scim2Server, baseUrl: string, overrides: Record<string, unknown> = {}): TargetAdapter & DirectoryGroupSync {
  const config = scimConfigSchema.parse({ kind: 'scim', baseUrl, tokenEnv: 'SCIM2_TOKEN', pageSize: 2, ...overrides });
  return scimTarget.createAdapter('scim2', config, { SCIM2_TOKEN: server.token }) as TargetAdapter & DirectoryGroupSync;
}

/**
 * The person-workflow harness's fixture (its LDAP subtree, policy and targets "desk" and "wiki")
 * with both targets pointed at tenants "desk" and "wiki" of `server` instead of our emulators.
 * `adjust` may change the config before the runtime is built from it.
 */
export async function scim2PersonFixture(server: Scim2Server, label: string, adjust: (config: IdsyncConfig) => void = () => undefined): Promise<Fixture> {
  const ldap = await createLdapFixture(label);
  // buildConfig only reads each target's base URL.
  const targets = { handles: { desk: { url: server.tenants.desk }, wiki: { url: server.tenants.wiki } }, tokens: { desk: server.token, wiki: server.token }, close: async () => undefined } as unknown as Emulators;
  const auditPath = join(testEnv.scratchDir(label), 'audit.log');
  const config = buildConfig(ldap, targets, auditPath);
  adjust(config);
  const env = { TEST_DESK_TOKEN: server.token, TEST_WIKI_TOKEN: server.token, IDSYNC_TEST_LDAP_PASSWORD: testEnv.ldap().bindPassword };
  const runtime = buildRuntime(config, env);
  return {
    ldap,
    emulators: targets,
    config,
    runtime,
    auditPath,
    env,
    close: async () => {
      await runtime.directory.close().catch(() => undefined);
      await ldap.close();
    },
  };
}
