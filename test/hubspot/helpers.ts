import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { TargetAdapter } from '../../targets/adapter';
import type { DesiredAccount } from '../../domain/account';
import { hubspotTarget, type HubspotConfig } from '../../targets/hubspot';

/** Builds a HubSpot adapter the way the runtime does: config through the schema, token from env. */
export function hubspotAdapter(basePath: string, token: string, overrides: Partial<Record<keyof HubspotConfig, unknown>> = {}): TargetAdapter {
  const env = { HUBSPOT_TEST_TOKEN: token };
  const config = hubspotTarget.configSchema.parse({ kind: 'hubspot', basePath, accessTokenEnv: 'HUBSPOT_TEST_TOKEN', suspendRoleName: 'No Access', ...overrides });
  return hubspotTarget.createAdapter('hubspot', config, env);
}

export function desiredAccount(anchor: string, email: string, extra: Partial<DesiredAccount> = {}): DesiredAccount {
  return { anchor, username: email, email, givenName: 'Test', familyName: anchor, attributes: {}, active: true, entitlements: [], ...extra };
}

/** Asserts an idsync ApplicationFailure of `type`, returning it for further checks. */
export async function failure(promise: Promise<unknown>, type: string, nonRetryable: boolean): Promise<ApplicationFailure> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ApplicationFailure, `expected an ApplicationFailure ${type}, got ${String(caught)}`);
  assert.equal(caught.type, type, caught.message);
  assert.equal(caught.nonRetryable, nonRetryable, `nonRetryable for ${type}`);
  return caught;
}
