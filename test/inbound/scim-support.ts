/** A real idsync SCIM endpoint over a fresh store directory, and a small client for the tests. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ScimStore, STORE_FILE } from '../../inbound/scim/store';
import { startScimServer, type ScimServer, type ScimServerOptions } from '../../inbound/scim/server';
import { testEnv } from '../support/env';

export const SCIM_TOKEN = 'scim-test-token-0123456789';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Endpoint {
  server: ScimServer;
  store: ScimStore;
  dir: string;
  /** The store's log, byte for byte: what "nothing was applied" is checked against. */
  log(): string;
  close(): Promise<void>;
}

export async function startEndpoint(label: string, dir = testEnv.scratchDir(label), extra: Partial<ScimServerOptions> = {}, port = 0): Promise<Endpoint> {
  const store = ScimStore.open(dir);
  const server = await startScimServer({ port, token: SCIM_TOKEN, store, maxBodyBytes: 64 * 1024, ...extra });
  return {
    server,
    store,
    dir,
    log: () => (existsSync(join(dir, STORE_FILE)) ? readFileSync(join(dir, STORE_FILE), 'utf8') : ''),
    close: async () => {
      await server.close();
      store.close();
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { scimType?: string; id?: string; Resources?: Record<string, unknown>[]; totalResults?: number };
  headers: Headers;
}

export async function scim(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Answer['body']) : {}, headers: response.headers };
}

export function user(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName,
    name: { givenName: 'Test', familyName: userName },
    emails: [{ value: `${userName}@example.com`, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}
