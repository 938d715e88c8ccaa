/**
 * Planning I/O: read the person and run the access policy (directory side), read one target's
 * account (target side). Everything else, the difference and its reasons, is the pure plan model in
 * policy/plan.ts. Nothing here writes to a target.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { IdsyncConfig } from '../app/config';
import type { Runtime } from '../app/runtime';
import type { Person } from '../domain/person';
import type { MatchKeys } from '../domain/account';
import type { DesiredTargetState } from '../policy/types';
import type { PolicyConfig } from '../policy/config';
import { computeDesiredState, outOfScopeEverywhere } from '../policy/desired-state';
import {
  dataProblemFor,
  matchKeysFor,
  planPerson,
  planTarget,
  unreadableTarget,
  type PersonDesiredState,
  type PersonPlan,
  type TargetPlan,
  type TargetProblem,
  type TargetSettings,
} from '../policy/plan';
import { parseDuration } from '../lib/duration';
import { activeUsernameKey } from '../app/username-key';
import { nonRetryable } from '../lib/errors';
import { targetDescription } from '../targets/registry';

export function enabledTargetNames(config: IdsyncConfig): string[] {
  return Object.entries(config.targets)
    .filter(([, t]) => t.enabled !== false)
    .map(([name]) => name)
    .sort();
}

function targetSettings(config: IdsyncConfig, target: string): TargetSettings {
  const t = config.targets[target] as { entitlementMode?: TargetSettings['mode']; ignoreEntitlements?: string[] } | undefined;
  return { mode: t?.entitlementMode ?? 'overwrite', ...(t?.ignoreEntitlements ? { ignoreEntitlements: t.ignoreEntitlements } : {}) };
}

/**
 * Reads the person and computes their desired state in every enabled target (out of scope everywhere
 * when gone). The directory wins; `pushed` (a record from a source authoritative for person data) is
 * used only when the directory does not have the person.
 */
export async function readDesiredState(runtime: Runtime, anchor: string, now: Date, pushed?: Person): Promise<PersonDesiredState> {
  const { config } = runtime;
  const policy = config.policy as PolicyConfig;
  const person = (await runtime.directory.getPerson(anchor)) ?? (pushed && pushed.anchor === anchor ? pushed : null);
  const names = enabledTargetNames(config);
  const targets = Object.fromEntries(
    names.map((name) => [name, { kind: config.targets[name]!.kind, gracePeriod: config.targets[name]!.gracePeriod, description: targetDescription(config.targets[name]!.kind) }]),
  );
  const desired = person ? computeDesiredState(person, policy, targets, now) : outOfScopeEverywhere(anchor, policy, targets, 'the person is no longer in the directory');
  return {
    found: person !== null,
    ...(person?.username !== undefined ? { username: person.username } : {}),
    ...(person?.email !== undefined ? { email: person.email } : {}),
    ...(person?.username ? { usernameKey: activeUsernameKey(config, person.username) } : {}),
    desired,
    settings: Object.fromEntries(names.map((name) => [name, targetSettings(config, name)])),
    approvalTimeoutMs: desired.approval?.deadlineMs ?? parseDuration(policy.approvals?.deadline ?? '72h'),
    plannedAt: now.toISOString(),
  };
}

/**
 * Reads one target's account and plans it. Transient failures propagate, so the activity retry
 * policy retries this target alone; a permanent failure (ambiguous match, account anchored to another
 * person) becomes the target's problem, which a person has to resolve.
 */
export async function readTargetPlan(runtime: Runtime, wanted: DesiredTargetState, match: MatchKeys, settings: TargetSettings, problem?: TargetProblem): Promise<TargetPlan> {
  const adapter = runtime.adapters.get(wanted.target);
  if (!adapter) throw nonRetryable('ConfigError', `no adapter configured for target ${wanted.target}`, { target: wanted.target });
  try {
    const found = await adapter.findAccount(match);
    return planTarget(wanted, found, settings, problem);
  } catch (err) {
    if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
    const field = (err.details?.[0] as { field?: string } | undefined)?.field ?? 'account';
    return planTarget(wanted, null, settings, problem ?? { field, message: `person ${match.anchor}: ${err.message}`, retryable: false });
  }
}

/**
 * The whole plan in one process, for `idsync plan` (a dry run: nothing is applied). A target that
 * cannot be read is shown with its problem instead of hiding the others.
 */
export async function planPersonNow(runtime: Runtime, anchor: string, now: Date, links: Readonly<Record<string, string>> = {}): Promise<PersonPlan> {
  const person = await readDesiredState(runtime, anchor, now);
  const targets = await Promise.all(
    person.desired.targets.map(async (wanted) => {
      const settings = person.settings[wanted.target]!;
      try {
        return await readTargetPlan(runtime, wanted, matchKeysFor(person, wanted, links[wanted.target]), settings, dataProblemFor(person.desired, wanted.target));
      } catch (err) {
        return unreadableTarget(wanted, settings, (err as Error).message, true);
      }
    }),
  );
  return planPerson(person.desired, targets, person);
}
