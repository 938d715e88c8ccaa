/**
 * How the connector classifies what HubSpot answers: rate limits and outages are retryable (with
 * the window as the delay), data and permission problems are not, and no message carries the token.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import { startHubspotEmulator, type HubspotEmulator } from '../../emulators/hubspot';
import { hubspotTarget } from '../../targets/hubspot';
import { classifyHubspotError, DAILY_LIMIT_RETRY_MS } from '../../targets/hubspot/errors';
import type { TargetAdapter } from '../../targets/adapter';
import { desiredAccount, failure, hubspotAdapter } from './helpers';

const TOKEN = 'pat-na1-errors-0123456789abcdef';
let emulator: HubspotEmulator;
let adapter: TargetAdapter;

before(async () => {
  emulator = await startHubspotEmulator({ tokens: [TOKEN], scopedTokens: { 'pat-na1-readonly-token': ['settings.users.read', 'settings.users.teams.read'] } });
  adapter = hubspotAdapter(emulator.url, TOKEN);
});

after(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.faults.reset();
  emulator.rateLimitFaultPolicy = 'TEN_SECONDLY_ROLLING';
});

const match = { anchor: 'anchor-errors', email: 'errors@example.com' };

test('a TEN_SECONDLY_ROLLING 429 is retryable after one window taken from the rate-limit headers', async () => {
  emulator.faults.set({ queue: ['rateLimit'] });
  const err = await failure(adapter.findAccount(match), 'RateLimited', false);
  const delay = Number(err.nextRetryDelay);
  assert.ok(delay >= 10_000 && delay < 11_000, `retry after the 10 s window (+ jitter), got ${delay}`);
  assert.match(err.message, /target hubspot/);
});

test('the real rolling window produces the same retryable RateLimited failure', async () => {
  const tight = await startHubspotEmulator({ tokens: [TOKEN], rateLimit: { max: 2, intervalMs: 3_000 } });
  try {
    const limitedAdapter = hubspotAdapter(tight.url, TOKEN);
    await limitedAdapter.findAccount(match);
    await limitedAdapter.findAccount(match);
    const err = await failure(limitedAdapter.findAccount(match), 'RateLimited', false);
    const delay = Number(err.nextRetryDelay);
    assert.ok(delay >= 3_000 && delay < 3_300, `the window from X-HubSpot-RateLimit-Interval-Milliseconds, got ${delay}`);
  } finally {
    await tight.close();
  }
});

test('a DAILY 429 is retryable after a long delay; a SECONDLY one after about a second', async () => {
  emulator.rateLimitFaultPolicy = 'DAILY';
  emulator.faults.set({ queue: ['rateLimit'] });
  const daily = await failure(adapter.findAccount(match), 'RateLimited', false);
  assert.equal(Number(daily.nextRetryDelay), DAILY_LIMIT_RETRY_MS);
  emulator.rateLimitFaultPolicy = 'SECONDLY';
  emulator.faults.set({ queue: ['rateLimit'] });
  const secondly = await failure(adapter.findAccount(match), 'RateLimited', false);
  assert.ok(Number(secondly.nextRetryDelay) >= 1_000 && Number(secondly.nextRetryDelay) < 2_000);
});

test('5xx and dropped connections are retryable with the policy back-off', async () => {
  emulator.faults.set({ queue: ['serverError'] });
  const outage = await failure(adapter.ensureAccount(desiredAccount('anchor-errors', 'errors@example.com')), 'TargetUnavailable', false);
  assert.equal(outage.nextRetryDelay, undefined);
  emulator.faults.set({ queue: ['drop'] });
  await failure(adapter.ensureAccount(desiredAccount('anchor-errors', 'errors@example.com')), 'NetworkError', false);
  assert.equal(emulator.store.findByEmail('errors@example.com'), undefined, 'neither attempt created anything');
});

test('a wrong token is a non-retryable PermissionDenied naming the variable, never the token', async () => {
  const wrongToken = 'pat-na1-wrong-secret-9999';
  const wrong = hubspotAdapter(emulator.url, wrongToken);
  const err = await failure(wrong.findAccount(match), 'PermissionDenied', true);
  assert.match(err.message, /HUBSPOT_TEST_TOKEN/);
  assert.ok(!err.message.includes(wrongToken) && !JSON.stringify(err.details).includes(wrongToken));
  assert.ok(!err.message.includes(TOKEN));
});

test('a token without the write scope is a non-retryable PermissionDenied naming the scope', async () => {
  const readOnly = hubspotAdapter(emulator.url, 'pat-na1-readonly-token');
  const err = await failure(readOnly.ensureAccount(desiredAccount('anchor-ro', 'ro@example.com')), 'PermissionDenied', true);
  assert.match(err.message, /settings\.users\.write/);
  assert.ok(!err.message.includes('pat-na1-readonly-token'));
});

test('unknown roles or teams are UnknownEntitlement, from policy names and from a HubSpot 400', async () => {
  const { accountId } = await adapter.ensureAccount(desiredAccount('anchor-unknown', 'unknown@example.com'));
  const err = await failure(adapter.ensureEntitlements(accountId, [{ kind: 'role', name: 'Astronaut' }], 'overwrite'), 'UnknownEntitlement', true);
  assert.match(err.message, /Astronaut/);
  assert.match(err.message, /field role/);
  await failure(adapter.ensureEntitlements(accountId, [{ kind: 'secondaryTeam', name: 'Moon Base' }], 'merge'), 'UnknownEntitlement', true);
  await failure(adapter.ensureEntitlements(accountId, [{ kind: 'role', name: 'Sales Rep' }, { kind: 'role', name: 'Sales Manager' }], 'overwrite'), 'ValidationError', true);
  await failure(adapter.ensureEntitlements(accountId, [{ kind: 'permissionSet', name: 'Sales Rep' }], 'overwrite'), 'ValidationError', true);

  const serverError = await rawSdkError(() => rawSdk().usersApi.create({ email: 'x-role@example.com', roleId: '987654' }));
  const classified = classifyHubspotError(serverError, { target: 'hubspot', identity: 'x-role', operation: 'create user', tokenEnv: 'HUBSPOT_TEST_TOKEN' });
  assert.equal(classified.type, 'UnknownEntitlement');
  assert.equal(classified.nonRetryable, true);
});

test('a 409 the connector cannot resolve to one user is DuplicateAccount; attributes HubSpot lacks are ValidationError', async () => {
  await rawSdk().usersApi.create({ email: 'taken@example.com' });
  const conflict = await rawSdkError(() => rawSdk().usersApi.create({ email: 'TAKEN@example.com' }));
  const classified = classifyHubspotError(conflict, { target: 'hubspot', identity: 'taken', operation: 'create user', tokenEnv: 'HUBSPOT_TEST_TOKEN' });
  assert.equal(classified.type, 'DuplicateAccount');
  assert.equal(classified.nonRetryable, true);
  assert.ok(!classified.message.includes(TOKEN));

  const err = await failure(adapter.ensureAccount(desiredAccount('anchor-attr', 'attr@example.com', { attributes: { Department: 'Sales' } })), 'ValidationError', true);
  assert.match(err.message, /field Department/);
});

test('a missing email, a bad basePath and a missing token variable are rejected with clear messages', async () => {
  await failure(adapter.findAccount({ anchor: 'anchor-noemail', username: 'no-email' }), 'ValidationError', true);
  assert.equal(hubspotTarget.configSchema.safeParse({ kind: 'hubspot', basePath: 'not a url', accessTokenEnv: 'X', suspendRoleName: 'No Access' }).success, false);
  assert.equal(hubspotTarget.configSchema.safeParse({ kind: 'hubspot', accessTokenEnv: 'pat-na1-literal-token', suspendRoleName: 'No Access' }).success, false, 'the token itself is not a variable name');
  const parsed = hubspotTarget.configSchema.parse({ kind: 'hubspot', basePath: 'http://127.0.0.1:1//', accessTokenEnv: 'HS_TOKEN', suspendRoleName: 'No Access' });
  assert.equal(parsed.basePath, 'http://127.0.0.1:1');
  assert.throws(() => hubspotTarget.createAdapter('hubspot', parsed, {}), /HS_TOKEN is not set/);
});

/** The same SDK configuration as the connector's (no retries), so the process-wide decorators agree. */
function rawSdk(): Client['settings']['users'] {
  return new Client({ accessToken: TOKEN, basePath: emulator.url }).settings.users;
}

async function rawSdkError(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  assert.fail('expected the SDK call to fail');
}
