import type { Connection } from 'jsforce';
import { nonRetryable } from '../../lib/errors';
import type { Change, Entitlement, EntitlementMode } from '../../domain/account';
import { ENTITLEMENT_KINDS, type CatalogEntry, type EntitlementKind } from './catalog';
import { step, savedId, type SalesforceContext } from './context';
import { errorCodeOf } from './errors';
import { queryAll, readGrants, soqlString, type Grant } from './read';
import { isDirectoryGroup } from './directory-groups';

/**
 * Entitlements of one user: profile and role (single-valued User lookups), permission sets,
 * permission-set licenses, public-group memberships and territory assignments (rows; Enterprise
 * Territory Management's UserTerritory2Association to a Territory2 of the active model). Grants go licenses → permission
 * sets → groups; revokes go permission sets → licenses (a license still used by a set cannot be
 * removed). Only grants idsync may manage are ever revoked.
 */
const GRANT_ORDER: Grant['kind'][] = ['permissionSetLicense', 'permissionSet', 'publicGroup', 'territory'];
const REVOKE_ORDER: Grant['kind'][] = ['permissionSet', 'permissionSetLicense', 'publicGroup', 'territory'];

const ROW_OBJECT: Record<Grant['kind'], { sobject: string; fields: (userId: string, targetId: string) => Record<string, string> }> = {
  permissionSetLicense: { sobject: 'PermissionSetLicenseAssign', fields: (u, t) => ({ AssigneeId: u, PermissionSetLicenseId: t }) },
  permissionSet: { sobject: 'PermissionSetAssignment', fields: (u, t) => ({ AssigneeId: u, PermissionSetId: t }) },
  publicGroup: { sobject: 'GroupMember', fields: (u, t) => ({ GroupId: t, UserOrGroupId: u }) },
  // Enterprise Territory Management: Territory2 by DeveloperName in the active model (catalog.ts).
  territory: { sobject: 'UserTerritory2Association', fields: (u, t) => ({ UserId: u, Territory2Id: t }) },
};

function isIgnored(ctx: SalesforceContext, kind: string, name: string): boolean {
  const wanted = `${kind}:${name}`.toLowerCase();
  return ctx.config.ignoreEntitlements.some((e) => e.toLowerCase() === wanted);
}

/** DeveloperName for a group idsync creates: the managed prefix plus letters, digits and single underscores. */
export function groupDeveloperName(prefix: string, name: string): string {
  const body = name.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${prefix}${body}`.slice(0, 80).replace(/_+$/, '');
}

async function createGroup(ctx: SalesforceContext, name: string, developerName: string, identity: string | undefined): Promise<Change> {
  await step(ctx, `create public group "${name}"`, identity, async (c) => {
    try {
      savedId(await c.sobject('Group').create({ Name: name, DeveloperName: developerName, Type: 'Regular' }));
    } catch (err) {
      // Created by an earlier attempt whose answer was lost: the group is there, which is the goal.
      if (errorCodeOf(err) !== 'DUPLICATE_DEVELOPER_NAME') throw err;
    }
  }, `publicGroup:${name}`);
  ctx.catalog.invalidate();
  return { action: 'create', target: ctx.target, subject: `publicGroup:${name}`, after: { Name: name, DeveloperName: developerName } };
}

interface Resolved {
  profile?: CatalogEntry;
  role?: CatalogEntry;
  rows: Array<{ kind: Grant['kind']; entry: CatalogEntry; rule?: string }>;
}

async function resolveDesired(ctx: SalesforceContext, desired: Entitlement[], identity: string): Promise<{ resolved: Resolved; changes: Change[] }> {
  const failure = (field: string) => ({ target: ctx.target, identity, field });
  const changes: Change[] = [];
  const unknownKinds = desired.filter((e) => !(ENTITLEMENT_KINDS as readonly string[]).includes(e.kind));
  if (unknownKinds.length > 0) {
    throw nonRetryable('UnknownEntitlement', `Salesforce has no entitlement kind ${unknownKinds.map((e) => `"${e.kind}"`).join(', ')}; known: ${ENTITLEMENT_KINDS.join(', ')}`, failure(unknownKinds[0].kind));
  }
  for (const single of ['profile', 'role'] as const) {
    const names = new Set(desired.filter((e) => e.kind === single).map((e) => e.name.toLowerCase()));
    if (names.size > 1) throw nonRetryable('ValidationError', `policy grants ${names.size} different ${single}s; a Salesforce user has exactly one`, failure(single));
  }
  const resolved: Resolved = { rows: [] };
  const unknown: string[] = [];
  for (const e of desired) {
    const kind = e.kind as EntitlementKind;
    let entry = await step(ctx, `resolve ${kind}:${e.name}`, identity, () => ctx.catalog.resolve(kind, e.name));
    if (!entry && kind === 'publicGroup' && ctx.config.groupSync.createMissing) {
      changes.push(await createGroup(ctx, e.name, groupDeveloperName(ctx.config.groupSync.managedPrefix, e.name), identity));
      entry = await step(ctx, `resolve ${kind}:${e.name}`, identity, () => ctx.catalog.resolve(kind, e.name));
    }
    if (!entry) unknown.push(`${kind}:${e.name}`);
    else if (kind === 'profile' || kind === 'role') resolved[kind] = entry;
    else if (!resolved.rows.some((r) => r.kind === kind && r.entry.id === entry!.id)) resolved.rows.push({ kind, entry, rule: e.rule });
  }
  if (unknown.length > 0) throw nonRetryable('UnknownEntitlement', `Salesforce has no ${unknown.join(', ')}`, failure(unknown[0]));
  return { resolved, changes };
}

async function grantRow(conn: Connection, userId: string, kind: Grant['kind'], targetId: string): Promise<void> {
  const { sobject, fields } = ROW_OBJECT[kind];
  try {
    savedId(await conn.sobject(sobject).create(fields(userId, targetId)));
  } catch (err) {
    // A concurrent or lost-answer earlier attempt already made this assignment.
    if (errorCodeOf(err) !== 'DUPLICATE_VALUE') throw err;
  }
}

/**
 * Deletes the given grants in dependency order; rows already gone count as done. A license that a
 * permission set idsync does not manage still needs (DELETE_FAILED) is kept rather than failing the
 * whole operation: revoking that set is not idsync's call.
 */
export async function revokeGrants(ctx: SalesforceContext, userId: string, grants: Grant[], identity: string | undefined): Promise<Change[]> {
  const changes: Change[] = [];
  for (const kind of REVOKE_ORDER) {
    for (const grant of grants.filter((g) => g.kind === kind && !isIgnored(ctx, g.kind, g.name))) {
      const revoked = await step(ctx, `revoke ${kind}:${grant.name}`, identity, async (c) => {
        try {
          await c.sobject(ROW_OBJECT[kind].sobject).destroy(grant.rowId);
          return true;
        } catch (err) {
          const code = errorCodeOf(err);
          if (code === 'NOT_FOUND' || code === 'ENTITY_IS_DELETED') return true;
          if (code === 'DELETE_FAILED' && kind === 'permissionSetLicense') return false;
          throw err;
        }
      }, `${kind}:${grant.name}`);
      if (revoked) changes.push({ action: 'revoke', target: ctx.target, accountId: userId, subject: `${kind}:${grant.name}` });
    }
  }
  return changes;
}

export async function ensureEntitlements(ctx: SalesforceContext, accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]> {
  type UserLookups = { Id: string; Username: string; FederationIdentifier: string | null; ProfileId: string; Profile: { Name: string } | null; UserRoleId: string | null; UserRole: { Name: string } | null };
  const [user] = await step(ctx, 'read user', accountId, (c) =>
    queryAll<UserLookups>(c, `SELECT Id, Username, FederationIdentifier, ProfileId, Profile.Name, UserRoleId, UserRole.Name FROM User WHERE Id = ${soqlString(accountId)}`),
  );
  if (!user) throw nonRetryable('NotFound', `Salesforce user ${accountId} does not exist`, { target: ctx.target, identity: accountId, field: 'Id' });
  const identity = user.FederationIdentifier ?? user.Username;
  const { resolved, changes } = await resolveDesired(ctx, desired, identity);
  const ruleOf = (kind: string, name: string) => desired.find((e) => e.kind === kind && e.name.toLowerCase() === name.toLowerCase())?.rule;
  const record = (action: Change['action'], subject: string, before?: unknown, after?: unknown, rule?: string) =>
    changes.push({ action, target: ctx.target, accountId, subject, before, after, rule });

  const lookups: Record<string, string | null> = {};
  if (resolved.profile && resolved.profile.id.slice(0, 15) !== user.ProfileId.slice(0, 15)) {
    lookups.ProfileId = resolved.profile.id;
    record('update', 'profile', user.Profile?.Name, resolved.profile.name, ruleOf('profile', resolved.profile.name));
  }
  const roleIgnored = user.UserRole && isIgnored(ctx, 'role', user.UserRole.Name);
  if (resolved.role && resolved.role.id.slice(0, 15) !== user.UserRoleId?.slice(0, 15)) {
    lookups.UserRoleId = resolved.role.id;
    record('update', 'role', user.UserRole?.Name ?? null, resolved.role.name, ruleOf('role', resolved.role.name));
  } else if (!resolved.role && user.UserRoleId && mode === 'overwrite' && !roleIgnored) {
    lookups.UserRoleId = null;
    record('update', 'role', user.UserRole?.Name ?? null, null);
  }
  if (Object.keys(lookups).length > 0) {
    await step(ctx, 'update profile/role', identity, (c) => c.sobject('User').update({ Id: accountId, ...lookups }), Object.keys(lookups).join(','));
  }

  const current = await step(ctx, 'read grants', identity, (c) => readGrants(c, [accountId]));
  const held = new Set(current.map((g) => `${g.kind}:${g.targetId.slice(0, 15)}`));
  for (const kind of GRANT_ORDER) {
    for (const row of resolved.rows.filter((r) => r.kind === kind && !held.has(`${kind}:${r.entry.id.slice(0, 15)}`))) {
      await step(ctx, `grant ${kind}:${row.entry.name}`, identity, (c) => grantRow(c, accountId, kind, row.entry.id), `${kind}:${row.entry.name}`);
      record('grant', `${kind}:${row.entry.name}`, undefined, undefined, row.rule);
    }
  }
  if (mode === 'overwrite') {
    const wanted = new Set(resolved.rows.map((r) => `${r.kind}:${r.entry.id.slice(0, 15)}`));
    const keepGroups = ctx.config.groupSync.membership === 'merge';
    // Members of groups provisioned from the directory follow the directory group, not a person's policy.
    const directoryGroups = await directoryGroupIds(ctx, identity);
    const surplus = current.filter(
      (g) => !wanted.has(`${g.kind}:${g.targetId.slice(0, 15)}`) && !(g.kind === 'publicGroup' && (keepGroups || directoryGroups.has(g.targetId.slice(0, 15)))),
    );
    changes.push(...(await revokeGrants(ctx, accountId, surplus, identity)));
  }
  return changes;
}

/** Ids (15 characters) of the public groups idsync created for directory groups, when it syncs them. */
async function directoryGroupIds(ctx: SalesforceContext, identity: string): Promise<Set<string>> {
  if (!ctx.config.groupSync.directoryGroups) return new Set();
  const groups = (await step(ctx, 'read public groups', identity, () => ctx.catalog.all())).publicGroup;
  return new Set(groups.filter((g) => isDirectoryGroup(ctx, g.developerName)).map((g) => g.id.slice(0, 15)));
}

export interface ManagedGroup {
  /** Display name (Group.Name, at most 40 characters in Salesforce). */
  name: string;
  /** Stable key; defaults to the managed prefix plus the name. Renames keep it. */
  developerName?: string;
}

/**
 * PingFederate-style group provisioning, each part opt-in through `groupSync`: create groups policy
 * names, rename them when their display name changed (found by DeveloperName), delete groups idsync
 * created (managed prefix) that policy no longer names. Groups without the prefix are never deleted.
 */
export async function syncGroups(ctx: SalesforceContext, groups: ManagedGroup[]): Promise<Change[]> {
  const options = ctx.config.groupSync;
  await step(ctx, 'read public groups', undefined, () => ctx.catalog.reload());
  const existing = (await step(ctx, 'read public groups', undefined, () => ctx.catalog.all())).publicGroup;
  const changes: Change[] = [];
  const desiredDeveloperNames = new Set<string>();
  for (const group of groups) {
    const developerName = group.developerName ?? groupDeveloperName(options.managedPrefix, group.name);
    desiredDeveloperNames.add(developerName.toLowerCase());
    const byDeveloperName = existing.find((e) => e.developerName?.toLowerCase() === developerName.toLowerCase());
    const byName = existing.find((e) => e.name.toLowerCase() === group.name.toLowerCase());
    if (byDeveloperName && options.renameByDeveloperName) {
      if (byDeveloperName.name !== group.name) {
        await step(ctx, `rename public group "${byDeveloperName.name}"`, undefined, (c) => c.sobject('Group').update({ Id: byDeveloperName.id, Name: group.name }), `publicGroup:${group.name}`);
        changes.push({ action: 'update', target: ctx.target, subject: `publicGroup:${developerName}`, before: byDeveloperName.name, after: group.name });
      }
    } else if (!byDeveloperName && !byName && options.createMissing) {
      changes.push(await createGroup(ctx, group.name, developerName, undefined));
    }
  }
  if (options.deleteUnmanaged) {
    const prefix = options.managedPrefix.toLowerCase();
    // Groups provisioned from the directory are deleted by their group workflow, never here.
    const deletable = existing.filter((e) => e.developerName?.toLowerCase().startsWith(prefix) && !desiredDeveloperNames.has(e.developerName.toLowerCase()) && !isDirectoryGroup(ctx, e.developerName));
    for (const group of deletable) {
      await step(ctx, `delete public group "${group.name}"`, undefined, async (c) => {
        try {
          await c.sobject('Group').destroy(group.id);
        } catch (err) {
          if (!['NOT_FOUND', 'ENTITY_IS_DELETED'].includes(errorCodeOf(err) ?? '')) throw err;
        }
      }, `publicGroup:${group.name}`);
      changes.push({ action: 'remove', target: ctx.target, subject: `publicGroup:${group.name}`, before: group.developerName });
    }
  }
  if (changes.length > 0) ctx.catalog.invalidate();
  return changes;
}
