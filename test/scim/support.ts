/** Shared set-up for SCIM tests: an emulator process per configuration and a connector bound to it. */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import assert from 'node:assert/strict';
import { startScimEmulator, type ScimEmulatorHandle, type ScimSeed, type ScimSwitches } from '../../emulators/scim';
import { scimTarget, scimConfigSchema } from '../../targets/scim';
import type { TargetAdapter } from '../../targets/adapter';
import type { DesiredAccount } from '../../domain/account';

export async function startEmulator(switches: ScimSwitches, seed: ScimSeed = { groups: ['Agents', 'Team Leads', 'Admins'] }) {
  const token = randomBytes(16).toString('hex');
  const emulator = await startScimEmulator({ token, switches, seed, faultSeed: 7 });
  return { emulator, token };
}

export function scimAdapter(emulator: ScimEmulatorHandle, token: string, overrides: Record<string, unknown> = {}): TargetAdapter {
  const config = scimConfigSchema.parse({ kind: 'scim', baseUrl: emulator.url, tokenEnv: 'SUPPORT_DESK_TOKEN', pageSize: 50, ...overrides });
  return scimTarget.createAdapter('support-desk', config, { SUPPORT_DESK_TOKEN: token });
}

export function desiredAccount(anchor: string, overrides: Partial<DesiredAccount> = {}): DesiredAccount {
  return {
    anchor,
    username: `${anchor}@example.com`,
    email: `${anchor}@example.com`,
    givenName: 'Ada',
    familyName: anchor,
    attributes: {},
    active: true,
    entitlements: [],
    ...overrides,
  };
}

/** Asserts an ApplicationFailure of the given type and retryability, and returns it. */
export async function expectFailure(work: Promise<unknown>, type: string, nonRetryable: boolean): Promise<ApplicationFailure> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    assert.equal(err.nonRetryable, nonRetryable, `nonRetryable for ${err.type}: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${type}, but the call succeeded`);
}

export function scimFetch(emulator: ScimEmulatorHandle, token: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
}
