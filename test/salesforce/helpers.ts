/** Shared set-up for the Salesforce tests: an emulator per test and jsforce / adapter clients pointed at it. */
import { Connection } from 'jsforce';
import { DEFAULT_CLIENTS, startSalesforceEmulator, type SalesforceEmulator, type SalesforceEmulatorOptions } from '../../emulators/salesforce';
import type { DesiredAccount } from '../../domain/account';
import { SalesforceAdapter, salesforceConfigSchema } from '../../targets/salesforce';

export const CLIENT = DEFAULT_CLIENTS[0];
export const SECRET_ENV = 'IDSYNC_TEST_SF_SECRET';

export async function withEmulator<T>(opts: SalesforceEmulatorOptions, run: (emulator: SalesforceEmulator) => Promise<T>): Promise<T> {
  const emulator = await startSalesforceEmulator({ queryBatchSize: 3, ...opts });
  try {
    return await run(emulator);
  } finally {
    await emulator.close();
  }
}

/** A logged-in jsforce connection with a refresh function that re-runs client credentials. */
export async function jsforceConnection(emulator: SalesforceEmulator, options: { retries?: number } = {}): Promise<Connection> {
  const conn = new Connection({
    loginUrl: emulator.url,
    version: '59.0',
    oauth2: { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret },
    refreshFn: (c, callback) => {
      c.oauth2.requestToken({ grant_type: 'client_credentials' }).then(
        (token) => {
          c._establish({ accessToken: token.access_token, instanceUrl: token.instance_url });
          callback(null, token.access_token, token);
        },
        (err: Error) => callback(err),
      );
    },
  });
  if (options.retries !== undefined) {
    const transport = conn._transport;
    const original = transport.httpRequest.bind(transport);
    transport.httpRequest = (req, opts = {}) => original(req, { ...opts, retry: { maxRetries: options.retries } });
  }
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

export function adapterFor(emulator: SalesforceEmulator, overrides: Record<string, unknown> = {}): SalesforceAdapter {
  const config = salesforceConfigSchema.parse({
    kind: 'salesforce',
    loginUrl: emulator.url,
    apiVersion: '62.0',
    auth: { flow: 'client_credentials', clientId: CLIENT.clientId, clientSecretEnv: SECRET_ENV },
    defaults: { profile: 'Standard User' },
    pageSize: 200,
    ...overrides,
  });
  return new SalesforceAdapter('sf-test', config, { [SECRET_ENV]: CLIENT.clientSecret });
}

let counter = 0;
export function person(overrides: Partial<DesiredAccount> = {}): DesiredAccount {
  counter += 1;
  const n = `${Date.now().toString(36)}${counter}`;
  return {
    anchor: `anchor-${n}`,
    username: `user${n}@example.com`,
    email: `user${n}@example.com`,
    givenName: 'Ada',
    familyName: 'Lovelace',
    attributes: { Department: 'Sales' },
    active: true,
    entitlements: [{ kind: 'profile', name: 'Standard User' }],
    ...overrides,
  };
}

/** Fields every emulator User create needs, for raw jsforce calls. */
export function userFields(profileId: string, username: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Username: username,
    LastName: 'Test',
    Email: 'test@example.com',
    Alias: 'tst',
    TimeZoneSidKey: 'GMT',
    LocaleSidKey: 'en_US',
    EmailEncodingKey: 'UTF-8',
    LanguageLocaleKey: 'en_US',
    ProfileId: profileId,
    ...extra,
  };
}

export function idOf(emulator: SalesforceEmulator, type: string, name: string, field = 'Name'): string {
  const row = emulator.store.find(type, (r) => r[field] === name);
  if (!row) throw new Error(`no ${type} named ${name}`);
  return row.Id as string;
}

/** Rejection helper: the error jsforce (or the adapter) threw. */
export async function failure(promise: PromiseLike<unknown>): Promise<Error & { errorCode?: string; data?: unknown; type?: string; nonRetryable?: boolean; details?: unknown[] }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { errorCode?: string };
  }
  throw new Error('expected a failure, got success');
}
