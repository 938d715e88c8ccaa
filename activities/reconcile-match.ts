/**
 * Per run and target, the lookups classification needs: who links an account, whose username/email
 * for this target matches it, and what policy wants for each person. Built once per worker process
 * from the run's index (the same people and links for every page) and kept for the run's duration.
 */
import type { IdsyncConfig } from '../app/config';
import type { Person } from '../domain/person';
import type { AccountState } from '../domain/account';
import type { PolicyConfig } from '../policy/config';
import type { DesiredTargetState } from '../policy/types';
import { computeDesiredState } from '../policy/desired-state';
import { classifyAccount, grantKey, privilegedGrants, reactionFor, type ReconcileRow } from '../policy/reconcile';
import { reconcileSettingsFor } from '../policy/reconcile-config';
import { parseDuration } from '../lib/duration';
import type { RunIndex } from './reconcile-files';
import { targetDescription } from '../targets/registry';

export interface TargetMatcher {
  classify(account: AccountState): ReconcileRow;
}

const lower = (text: string | undefined) => text?.trim().toLowerCase() || undefined;

function addTo(map: Map<string, string[]>, key: string | undefined, anchor: string): void {
  if (!key) return;
  const list = map.get(key);
  if (!list) map.set(key, [anchor]);
  else if (!list.includes(anchor)) list.push(anchor);
}

export function approvalKey(anchor: string, target: string, kind: string, name: string): string {
  return `${anchor}\u0000${target}\u0000${grantKey(kind, name)}`;
}

export function buildTargetMatcher(config: IdsyncConfig, index: RunIndex, target: string): TargetMatcher {
  const targetConfig = config.targets[target];
  if (!targetConfig) throw new Error(`target ${target} is not configured`);
  const policy = config.policy as PolicyConfig;
  const settings = reconcileSettingsFor(config.reconcile, target, targetDescription(targetConfig.kind));
  const asOf = new Date(index.asOf);
  const policyTargets = { [target]: { kind: targetConfig.kind, gracePeriod: targetConfig.gracePeriod, description: targetDescription(targetConfig.kind) } };
  const people = new Map<string, Person>();
  const desiredOf = (person: Person): DesiredTargetState => computeDesiredState(person, policy, policyTargets, asOf).targets[0]!;
  // The target's matching rule, as planning uses it: the username/email policy maps, else the directory's.
  // Only the keys are kept: desired states are recomputed for the accounts that match (cheap, and
  // holding one per person per target would cost more memory than the accounts themselves).
  const byLogin = new Map<string, string[]>();
  for (const person of index.people) {
    people.set(person.anchor, person);
    const account = desiredOf(person).account;
    addTo(byLogin, lower(account?.username ?? person.username), person.anchor);
    addTo(byLogin, lower(account?.email ?? person.email), person.anchor);
  }
  const linkedBy = new Map<string, string[]>();
  const prefix = `${target}:`;
  for (const [anchor, links] of Object.entries(index.links)) {
    for (const link of links) if (link.startsWith(prefix)) addTo(linkedBy, link.slice(prefix.length), anchor);
  }
  const privileged = privilegedGrants(policy.targets[target]);
  const approvals = new Set(index.approvals);
  const ignoreEntitlements = (targetConfig as { ignoreEntitlements?: string[] }).ignoreEntitlements;
  const inactiveBeforeMs = asOf.getTime() - parseDuration(settings.inactiveAfter);

  return {
    classify(account: AccountState): ReconcileRow {
      const memo = new Map<string, DesiredTargetState | undefined>();
      const desired = (anchor: string) => {
        if (!memo.has(anchor)) {
          const person = people.get(anchor);
          memo.set(anchor, person ? desiredOf(person) : undefined);
        }
        return memo.get(anchor);
      };
      const matchedBy = [...new Set([...(byLogin.get(lower(account.username) ?? '') ?? []), ...(byLogin.get(lower(account.email) ?? '') ?? [])])];
      const verdict = classifyAccount(
        {
          target,
          mode: targetConfig.entitlementMode,
          planOptions: ignoreEntitlements ? { ignoreEntitlements } : {},
          storesAnchor: settings.storesAnchor,
          linkedBy: linkedBy.get(account.id) ?? [],
          matchedBy,
          desired,
          privileged: (kind, name) => privileged.has(grantKey(kind, name)),
          approved: (anchor, kind, name) => approvals.has(approvalKey(anchor, target, kind, name)),
          inactiveBeforeMs,
        },
        account,
      );
      return { target, accountId: account.id, username: account.username, ...verdict, reaction: reactionFor(verdict.situation, settings) };
    },
  };
}
