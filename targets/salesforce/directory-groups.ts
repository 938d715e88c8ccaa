/**
 * Directory groups as Salesforce public groups (Group, Type 'Regular'), PingFederate-style: the
 * group idsync linked, else the one it created for this directory group (DeveloperName from the
 * directory anchor, so renames keep it), else a group of the same name (adopted), else a new one
 * when `groupSync.createMissing`. Renames follow the directory; members are the users carrying the
 * members' anchors (FederationIdentifier, which idsync writes when it creates or links a user):
 * exactly those with `membership: overwrite`, at least those with `merge`. Only groups idsync
 * created (DeveloperName with `groupSync.directoryPrefix`) are ever deleted, and only with
 * `groupSync.deleteUnmanaged`.
 */
import { nonRetryable, retryable } from '../../lib/errors';
import type { Change } from '../../domain/account';
import type { DirectoryGroupRef, GroupRemovalResult, GroupSyncResult } from '../group-sync';
import { step, savedId, type SalesforceContext } from './context';
import { errorCodeOf } from './errors';
import { queryAll, soqlList, soqlString } from './read';

interface GroupRow {
  Id: string;
  Name: string;
  DeveloperName: string;
}

const ID_CHUNK = 100;
/** User ids start with 005; a GroupMember row may also name a nested group (00G), which idsync leaves alone. */
const USER_KEY_PREFIX = '005';

/** DeveloperName of the public group idsync creates for a directory group: the prefix plus the anchor, stable across renames. */
export function directoryGroupDeveloperName(prefix: string, anchor: string): string {
  return `${prefix}${anchor.replace(/[^A-Za-z0-9]+/g, '_')}`.slice(0, 80).replace(/_+$/, '');
}

export function isDirectoryGroup(ctx: SalesforceContext, developerName: string | undefined): boolean {
  return !!developerName && developerName.toLowerCase().startsWith(ctx.config.groupSync.directoryPrefix.toLowerCase());
}

async function groupsWhere(ctx: SalesforceContext, identity: string, where: string): Promise<GroupRow[]> {
  return step(ctx, 'find public group', identity, (c) => queryAll<GroupRow>(c, `SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Regular' AND ${where}`));
}

async function locate(ctx: SalesforceContext, group: DirectoryGroupRef, identity: string, byName: boolean): Promise<GroupRow | undefined> {
  if (group.linkedId) {
    const [linked] = await groupsWhere(ctx, identity, `Id = ${soqlString(group.linkedId)}`);
    if (linked) return linked;
  }
  const developerName = directoryGroupDeveloperName(ctx.config.groupSync.directoryPrefix, group.anchor);
  const [ours] = await groupsWhere(ctx, identity, `DeveloperName = ${soqlString(developerName)}`);
  if (ours || !byName) return ours;
  for (const name of [group.name, group.previousName].filter((n): n is string => !!n)) {
    const named = await groupsWhere(ctx, identity, `Name = ${soqlString(name)}`);
    if (named.length > 1) throw nonRetryable('AmbiguousMatch', `${named.length} public groups are named "${name}": ${named.map((g) => g.Id).join(' and ')}`, { target: ctx.target, identity, field: 'Name' });
    if (named[0]) return named[0];
  }
  return undefined;
}

async function create(ctx: SalesforceContext, group: DirectoryGroupRef, identity: string): Promise<GroupRow> {
  const developerName = directoryGroupDeveloperName(ctx.config.groupSync.directoryPrefix, group.anchor);
  await step(ctx, `create public group "${group.name}"`, identity, async (c) => {
    try {
      savedId(await c.sobject('Group').create({ Name: group.name, DeveloperName: developerName, Type: 'Regular' }));
    } catch (err) {
      // Created by an earlier attempt whose answer was lost: it is found by its DeveloperName below.
      if (errorCodeOf(err) !== 'DUPLICATE_DEVELOPER_NAME') throw err;
    }
  }, 'Name');
  const [created] = await groupsWhere(ctx, identity, `DeveloperName = ${soqlString(developerName)}`);
  if (!created) throw retryable('NotYetVisible', `public group ${developerName} was created but cannot be read back yet`, { target: ctx.target, identity, field: 'DeveloperName' });
  return created;
}

/** User ids of the users anchored to the given people; people without a user here are counted, not failed. */
async function usersOf(ctx: SalesforceContext, anchors: string[], identity: string): Promise<{ ids: Set<string>; unresolved: number }> {
  const ids = new Set<string>();
  const found = new Set<string>();
  for (let i = 0; i < anchors.length; i += ID_CHUNK) {
    const rows = await step(ctx, 'resolve group members', identity, (c) =>
      queryAll<{ Id: string; FederationIdentifier: string }>(c, `SELECT Id, FederationIdentifier FROM User WHERE FederationIdentifier IN ${soqlList(anchors.slice(i, i + ID_CHUNK))}`),
    );
    for (const row of rows) {
      ids.add(row.Id.slice(0, 15));
      found.add(row.FederationIdentifier);
    }
  }
  return { ids, unresolved: anchors.filter((a) => !found.has(a)).length };
}

export async function ensureDirectoryGroup(ctx: SalesforceContext, group: DirectoryGroupRef, memberAnchors: string[]): Promise<GroupSyncResult> {
  const options = ctx.config.groupSync;
  const identity = `group ${group.anchor}`;
  const changes: Change[] = [];
  let row = await locate(ctx, group, identity, true);
  if (!row) {
    if (!options.createMissing) {
      throw nonRetryable('UnknownEntitlement', `Salesforce has no public group "${group.name}" and groupSync.createMissing is off`, { target: ctx.target, identity, field: 'groupSync.createMissing' });
    }
    row = await create(ctx, group, identity);
    changes.push({ action: 'create', target: ctx.target, accountId: row.Id, subject: `publicGroup:${group.name}`, after: { Name: group.name, DeveloperName: row.DeveloperName } });
  } else if (row.Name !== group.name) {
    const id = row.Id;
    await step(ctx, `rename public group "${row.Name}"`, identity, (c) => c.sobject('Group').update({ Id: id, Name: group.name }), 'Name');
    changes.push({ action: 'update', target: ctx.target, accountId: row.Id, subject: `publicGroup:${group.name}`, before: row.Name, after: group.name });
  }
  const groupId = row.Id;
  const wanted = await usersOf(ctx, memberAnchors, identity);
  const rows = await step(ctx, 'read group members', identity, (c) => queryAll<{ Id: string; UserOrGroupId: string }>(c, `SELECT Id, UserOrGroupId FROM GroupMember WHERE GroupId = ${soqlString(groupId)}`));
  const current = new Map(rows.filter((m) => m.UserOrGroupId.startsWith(USER_KEY_PREFIX)).map((m) => [m.UserOrGroupId.slice(0, 15), m.Id]));
  for (const userId of wanted.ids) {
    if (current.has(userId)) continue;
    await step(ctx, `add member to public group "${group.name}"`, identity, async (c) => {
      try {
        savedId(await c.sobject('GroupMember').create({ GroupId: groupId, UserOrGroupId: userId }));
      } catch (err) {
        if (errorCodeOf(err) !== 'DUPLICATE_VALUE') throw err;
      }
    }, 'GroupMember');
    changes.push({ action: 'grant', target: ctx.target, accountId: userId, subject: `publicGroup:${group.name}` });
  }
  if (options.membership === 'overwrite') {
    for (const [userId, memberRowId] of current) {
      if (wanted.ids.has(userId)) continue;
      await step(ctx, `remove member from public group "${group.name}"`, identity, async (c) => {
        try {
          await c.sobject('GroupMember').destroy(memberRowId);
        } catch (err) {
          if (!['NOT_FOUND', 'ENTITY_IS_DELETED'].includes(errorCodeOf(err) ?? '')) throw err;
        }
      }, 'GroupMember');
      changes.push({ action: 'revoke', target: ctx.target, accountId: userId, subject: `publicGroup:${group.name}` });
    }
  }
  if (changes.length > 0) ctx.catalog.invalidate();
  return { groupId, created: isDirectoryGroup(ctx, row.DeveloperName), changes, unresolvedMembers: wanted.unresolved };
}

export async function removeDirectoryGroup(ctx: SalesforceContext, group: DirectoryGroupRef): Promise<GroupRemovalResult> {
  const identity = `group ${group.anchor}`;
  // Never by name: a group found only by its name is someone else's, and is not idsync's to delete.
  const row = await locate(ctx, group, identity, false);
  if (!row) return { changes: [] };
  if (!isDirectoryGroup(ctx, row.DeveloperName)) return { changes: [], kept: `public group "${row.Name}" was not created by idsync` };
  if (!ctx.config.groupSync.deleteUnmanaged) return { changes: [], kept: 'groupSync.deleteUnmanaged is off' };
  await step(ctx, `delete public group "${row.Name}"`, identity, async (c) => {
    try {
      await c.sobject('Group').destroy(row.Id);
    } catch (err) {
      if (!['NOT_FOUND', 'ENTITY_IS_DELETED'].includes(errorCodeOf(err) ?? '')) throw err;
    }
  }, 'Group');
  ctx.catalog.invalidate();
  return { changes: [{ action: 'remove', target: ctx.target, accountId: row.Id, subject: `publicGroup:${row.Name}`, before: row.DeveloperName }] };
}
