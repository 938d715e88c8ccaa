import type { Change, Entitlement, EntitlementMode } from '../../domain/account';
import { nonRetryable } from '../../lib/errors';
import type { CatalogSnapshot } from './catalog';
import { HUBSPOT_ENTITLEMENT_KINDS } from './description';

/**
 * HubSpot access as idsync entitlements: one role, one primary team and any number of secondary
 * teams per user. A user holds a single role and a single primary team, so in merge mode a desired
 * role still replaces the current one (the slot cannot hold both), while a replaced primary team is
 * kept as a secondary team (merge never takes a team away).
 */
export { HUBSPOT_ENTITLEMENT_KINDS } from './description';

/** The access fields of a HubSpot user, as read or as to be written. */
export interface UserAccess {
  roleId?: string;
  primaryTeamId?: string;
  secondaryTeamIds: string[];
}

/** What a PUT must send: "" clears roleId/primaryTeamId (the API's partial update ignores absent fields). */
export interface AccessUpdate {
  roleId?: string;
  primaryTeamId?: string;
  secondaryTeamIds?: string[];
}

export interface PlanContext {
  target: string;
  accountId: string;
  identity: string;
  /** Id of the configured suspend role: never reported as an entitlement (it is `suspended`). */
  suspendRoleId?: string;
}

export function entitlementsOf(user: UserAccess, catalog: CatalogSnapshot, suspendRoleId?: string): Entitlement[] {
  const out: Entitlement[] = [];
  if (user.roleId && user.roleId !== suspendRoleId) out.push({ kind: 'role', name: catalog.roleName(user.roleId) ?? `#${user.roleId}` });
  if (user.primaryTeamId) out.push({ kind: 'primaryTeam', name: catalog.teamName(user.primaryTeamId) ?? `#${user.primaryTeamId}` });
  for (const id of user.secondaryTeamIds) if (id !== user.primaryTeamId) out.push({ kind: 'secondaryTeam', name: catalog.teamName(id) ?? `#${id}` });
  return out;
}

/** Every id the user refers to is in the catalog (otherwise the caller refreshes it once). */
export function catalogKnows(catalog: CatalogSnapshot, user: UserAccess, desired: Entitlement[] = []): boolean {
  return (
    (!user.roleId || !!catalog.roleName(user.roleId)) &&
    [user.primaryTeamId, ...user.secondaryTeamIds].every((id) => !id || !!catalog.teamName(id)) &&
    desired.every((e) => (e.kind === 'role' ? !!catalog.roleId(e.name) : !!catalog.teamId(e.name)))
  );
}

/** The write that makes `current` match `desired` under `mode`, and the changes it means; null update = nothing to do. */
export function planAccess(
  current: UserAccess,
  desired: Entitlement[],
  mode: EntitlementMode,
  catalog: CatalogSnapshot,
  ctx: PlanContext,
): { update: AccessUpdate | null; changes: Change[] } {
  const wanted = resolveDesired(desired, catalog, ctx);
  const next: UserAccess = { ...current, secondaryTeamIds: [...current.secondaryTeamIds] };
  if (mode === 'overwrite') {
    next.roleId = wanted.roleId;
    next.primaryTeamId = wanted.primaryTeamId;
    next.secondaryTeamIds = wanted.secondaryTeamIds;
  } else {
    if (wanted.roleId) next.roleId = wanted.roleId;
    if (wanted.primaryTeamId && wanted.primaryTeamId !== current.primaryTeamId) {
      if (current.primaryTeamId) next.secondaryTeamIds.push(current.primaryTeamId);
      next.primaryTeamId = wanted.primaryTeamId;
    }
    next.secondaryTeamIds.push(...wanted.secondaryTeamIds);
  }
  next.secondaryTeamIds = [...new Set(next.secondaryTeamIds)].filter((id) => id !== next.primaryTeamId).sort();

  const update: AccessUpdate = {};
  if ((next.roleId ?? '') !== (current.roleId ?? '')) update.roleId = next.roleId ?? '';
  if ((next.primaryTeamId ?? '') !== (current.primaryTeamId ?? '')) update.primaryTeamId = next.primaryTeamId ?? '';
  const currentSecondary = [...new Set(current.secondaryTeamIds)].filter((id) => id !== current.primaryTeamId).sort();
  if (currentSecondary.join(',') !== next.secondaryTeamIds.join(',')) update.secondaryTeamIds = next.secondaryTeamIds;
  if (Object.keys(update).length === 0) return { update: null, changes: [] };
  return { update, changes: accessChanges(current, next, desired, catalog, ctx) };
}

function resolveDesired(desired: Entitlement[], catalog: CatalogSnapshot, ctx: PlanContext): UserAccess {
  const byKind = (kind: string) => [...new Set(desired.filter((e) => e.kind === kind).map((e) => e.name))];
  const unknownKind = desired.find((e) => !(HUBSPOT_ENTITLEMENT_KINDS as readonly string[]).includes(e.kind));
  if (unknownKind) throw nonRetryable('ValidationError', `HubSpot has no entitlement kind "${unknownKind.kind}" (known: ${HUBSPOT_ENTITLEMENT_KINDS.join(', ')})`, { target: ctx.target, identity: ctx.identity, field: unknownKind.kind });
  const single = (kind: 'role' | 'primaryTeam') => {
    const names = byKind(kind);
    if (names.length > 1) throw nonRetryable('ValidationError', `a HubSpot user holds one ${kind}, policy asks for ${names.join(', ')}`, { target: ctx.target, identity: ctx.identity, field: kind });
    return names[0];
  };
  const lookup = (kind: string, name: string, find: (n: string) => string | undefined) => {
    const id = find(name);
    if (!id) throw nonRetryable('UnknownEntitlement', `HubSpot has no ${kind === 'role' ? 'role' : 'team'} named "${name}"`, { target: ctx.target, identity: ctx.identity, field: kind });
    return id;
  };
  const roleName = single('role');
  const primaryName = single('primaryTeam');
  return {
    roleId: roleName ? lookup('role', roleName, (n) => catalog.roleId(n)) : undefined,
    primaryTeamId: primaryName ? lookup('primaryTeam', primaryName, (n) => catalog.teamId(n)) : undefined,
    secondaryTeamIds: byKind('secondaryTeam').map((n) => lookup('secondaryTeam', n, (x) => catalog.teamId(x))),
  };
}

function accessChanges(current: UserAccess, next: UserAccess, desired: Entitlement[], catalog: CatalogSnapshot, ctx: PlanContext): Change[] {
  const before = entitlementsOf(current, catalog, ctx.suspendRoleId);
  const after = entitlementsOf(next, catalog, ctx.suspendRoleId);
  const key = (e: Entitlement) => `${e.kind}:${e.name}`;
  const afterKeys = new Set(after.map(key));
  const beforeKeys = new Set(before.map(key));
  const rules = new Map(desired.map((e) => [key(e), e.rule]));
  const changes: Change[] = [];
  for (const e of before) if (!afterKeys.has(key(e))) changes.push({ action: 'revoke', target: ctx.target, accountId: ctx.accountId, subject: key(e) });
  for (const e of after) if (!beforeKeys.has(key(e))) changes.push({ action: 'grant', target: ctx.target, accountId: ctx.accountId, subject: key(e), rule: rules.get(key(e)) });
  if (current.roleId === ctx.suspendRoleId && ctx.suspendRoleId && next.roleId !== ctx.suspendRoleId) {
    changes.push({ action: 'unsuspend', target: ctx.target, accountId: ctx.accountId, subject: 'role' });
  }
  return changes;
}
