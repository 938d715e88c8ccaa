/**
 * Error classification of the Salesforce adapter: every Salesforce error code the connector can
 * meet becomes a retryable or non-retryable failure whose message names the identity, the target
 * and the field, and never carries a secret. Errors are produced by the emulator over real HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { CLIENT, adapterFor, failure, person, withEmulator } from './helpers';
import type { SalesforceSeed } from '../../emulators/salesforce';
import { classifySalesforceError } from '../../targets/salesforce/errors';

const SEED: SalesforceSeed = {
  userLicenses: { Salesforce: 1 },
  profiles: [{ name: 'Standard User', license: 'Salesforce' }],
  roles: [{ name: 'CEO' }],
  permissionSetLicenses: [{ name: 'Einstein', total: 1 }],
  permissionSets: [{ name: 'Einstein_Use', permissionSetLicense: 'Einstein' }],
  publicGroups: ['All Sales'],
  users: [{ Username: 'holder@example.com', LastName: 'Holder', Email: 'holder@example.com', profile: 'Standard User', IsActive: false }],
  usernamesTakenElsewhere: ['taken@other-org.com'],
};

function assertFailure(err: unknown, expected: { type: string; retryable: boolean; identity: string; field?: string }): ApplicationFailure {
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  assert.equal(err.type, expected.type, err.message);
  assert.equal(err.nonRetryable, !expected.retryable, `${err.type} retryable=${expected.retryable}`);
  assert.match(err.message, /target sf-test/);
  assert.ok(err.message.includes(`identity ${expected.identity}`), err.message);
  if (expected.field) assert.ok(err.message.includes(`field ${expected.field}`), err.message);
  assert.ok(!err.message.includes(CLIENT.clientSecret), 'no client secret in the message');
  assert.ok(!/![A-Za-z0-9_-]{20,}/.test(err.message), 'no access token in the message');
  return err;
}

test('validation errors from Salesforce are non-retryable and name identity, target and field', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ attributes: { Alias: '' } }, 'ValidationError', 'Alias'], // REQUIRED_FIELD_MISSING
      [{ email: 'not-an-email' }, 'ValidationError', 'Email'], // INVALID_EMAIL_ADDRESS
      [{ attributes: { Alias: 'ninechars' } }, 'ValidationError', 'Alias'], // STRING_TOO_LONG
      [{ attributes: { TimeZoneSidKey: 'Mars/Base' } }, 'ValidationError', 'TimeZoneSidKey'], // restricted picklist
      [{ attributes: { ManagerId: '0055e00000ZZZZZ' } }, 'ValidationError', 'ManagerId'], // INVALID_CROSS_REFERENCE_KEY
      [{ username: 'Taken@Other-Org.com' }, 'DuplicateAccount', 'Username'], // DUPLICATE_USERNAME, another org
      [{ username: 'HOLDER@example.com', email: 'someone-else@example.com', anchor: 'a-holder-clash' }, 'LicenseLimit', ''], // links the inactive holder, reactivation needs a seat
    ];
    await adapter.ensureAccount(person()); // takes the only seat
    for (const [overrides, type, field] of cases) {
      const desired = person(overrides);
      const err = await failure(adapter.ensureAccount(desired));
      assertFailure(err, { type, retryable: false, identity: desired.anchor, field: field || undefined });
    }
  }));

test('an unusual directory login as Salesforce username fails like production: ValidationError naming Username and the rule', () =>
  withEmulator({ seed: { ...SEED, userLicenses: { Salesforce: 5 } } }, async (emu) => {
    const adapter = adapterFor(emu);
    const usersBefore = emu.store.rows('User').length;
    for (const username of ['CORP\\jdoe', 'jürgen.müller@corp.example', 'jdoe@corp']) {
      const desired = person({ username });
      const err = assertFailure(await failure(adapter.ensureAccount(desired)), { type: 'ValidationError', retryable: false, identity: desired.anchor, field: 'Username' });
      assert.match(err.message, /INVALID_NEW_USERNAME/);
      assert.match(err.message, /must be in the form of an email address/);
    }
    assert.equal(emu.store.rows('User').length, usersBefore, 'no user was created');
  }));

test('entitlement errors: unknown names are UnknownEntitlement, license mismatch is ValidationError, nothing half-applied', () =>
  withEmulator({ seed: { ...SEED, userLicenses: { Salesforce: 5 } } }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    const { accountId } = await adapter.ensureAccount(desired);
    for (const kind of ['profile', 'role', 'permissionSet', 'permissionSetLicense', 'publicGroup']) {
      const writes = emu.store.writes;
      const err = await failure(adapter.ensureEntitlements(accountId, [{ kind: 'publicGroup', name: 'All Sales' }, { kind, name: 'Does Not Exist' }], 'merge'));
      assertFailure(err, { type: 'UnknownEntitlement', retryable: false, identity: desired.anchor, field: `${kind}:Does Not Exist` });
      assert.equal(emu.store.writes, writes, 'unknown names are found before anything is written');
    }
    const profileErr = await failure(adapter.ensureAccount(person({ entitlements: [{ kind: 'profile', name: 'Nope' }] })));
    assert.equal((profileErr as ApplicationFailure).type, 'UnknownEntitlement');
    const mismatch = await failure(adapter.ensureEntitlements(accountId, [{ kind: 'permissionSet', name: 'Einstein_Use' }], 'merge'));
    assertFailure(mismatch, { type: 'ValidationError', retryable: false, identity: desired.anchor, field: 'PermissionSetId' });
    assert.match(mismatch.message, /FIELD_INTEGRITY_EXCEPTION/);
  }));

test('transient errors are retryable: 503, REQUEST_LIMIT_EXCEEDED with a back-off hint, dropped connections', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    await adapter.findAccount({ anchor: desired.anchor }); // logged in
    emu.faults.set({ queue: ['serverError'] });
    const unavailable = assertFailure(await failure(adapter.findAccount({ anchor: desired.anchor })), { type: 'TargetUnavailable', retryable: true, identity: desired.anchor });
    assert.match(unavailable.message, /SERVER_UNAVAILABLE/);
    assert.equal(emu.faults.injected.serverError, 1);
    assert.equal(emu.faults.current.queue.length, 0, 'httpRetries 0: jsforce did not silently repeat the GET');

    emu.faults.set({ queue: ['rateLimit'] });
    const limited = assertFailure(await failure(adapter.findAccount({ anchor: desired.anchor })), { type: 'RateLimited', retryable: true, identity: desired.anchor });
    assert.ok((limited.nextRetryDelay as number | undefined) !== undefined, 'carries a retry delay');

    emu.faults.set({ queue: ['drop'] });
    assertFailure(await failure(adapter.ensureAccount(desired)), { type: 'NetworkError', retryable: true, identity: desired.anchor });
  }));

test('a request slower than requestTimeoutMs is aborted and retryable', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu, { requestTimeoutMs: 200 });
    const desired = person();
    await adapter.findAccount({ anchor: desired.anchor });
    emu.faults.set({ latencyMs: 1500 });
    const slow = assertFailure(await failure(adapter.findAccount({ anchor: desired.anchor })), { type: 'NetworkError', retryable: true, identity: desired.anchor });
    assert.match(slow.message, /TIMEOUT/);
    emu.faults.reset();
  }));

test('a daily API budget spent is RateLimited with a long back-off', () =>
  withEmulator({ seed: SEED, dailyApiLimit: 3 }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    let err: unknown;
    for (let i = 0; i < 5 && !err; i++) err = await adapter.findAccount({ anchor: desired.anchor }).then(() => undefined, (e: unknown) => e);
    const limited = assertFailure(err, { type: 'RateLimited', retryable: true, identity: desired.anchor });
    assert.match(limited.message, /TotalRequests/);
    assert.ok(Number(limited.nextRetryDelay) >= 60_000);
  }));

test('INVALID_SESSION_ID after a failed refresh is retryable; the rotated secret never shows', () => {
  const clients = [{ ...CLIENT }];
  return withEmulator({ seed: SEED, clients }, async (emu) => {
    const adapter = adapterFor(emu);
    const desired = person();
    await adapter.findAccount({ anchor: desired.anchor });
    clients[0].clientSecret = 'rotated-secret-value';
    emu.expireTokens();
    const expired = assertFailure(await failure(adapter.findAccount({ anchor: desired.anchor })), { type: 'SessionExpired', retryable: true, identity: desired.anchor });
    assert.ok(!expired.message.includes('rotated-secret-value'));
  });
});

test('a rejected login is a non-retryable ConfigError; secrets in HTTP text are redacted', () =>
  withEmulator({ seed: SEED }, async (emu) => {
    const adapter = adapterFor(emu, { auth: { flow: 'client_credentials', clientId: 'unknown-app', clientSecretEnv: 'IDSYNC_TEST_SF_SECRET' } });
    const desired = person();
    assertFailure(await failure(adapter.ensureAccount(desired)), { type: 'ConfigError', retryable: false, identity: desired.anchor });
    const leaky = Object.assign(new Error('boom'), { errorCode: 'UNKNOWN_EXCEPTION', data: { message: 'failed: access_token=00Dxx!secretvalue123 client_secret=abc' } });
    const classified = classifySalesforceError(leaky, 'create user', { target: 'sf-test', identity: 'p1', field: 'Username' });
    assert.equal(classified.nonRetryable, false);
    assert.ok(!classified.message.includes('secretvalue123') && !classified.message.includes('=abc'), classified.message);
  }));
