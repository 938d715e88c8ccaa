/**
 * Directory groups as SCIM Groups (RFC 7643 §4.2), where the service provider lets clients create
 * and change groups (`groupSync.directoryGroups`; an SP with SP-defined groups only refuses, which
 * fails as PermissionDenied). The group idsync linked, else the one it created (externalId = the
 * directory group's anchor), else one of the same displayName (adopted), else a new one with
 * `groupSync.createMissing`. Renames follow the directory; members are the users whose externalId
 * is a member's anchor (idsync writes it when it creates or links a user). Only groups idsync
 * created (externalId = anchor) are deleted, and only with `groupSync.deleteManaged`.
 */
import { nonRetryable } from '../../lib/errors';
import type { Change } from '../../domain/account';
import type { DirectoryGroupRef, GroupRemovalResult, GroupSyncResult } from '../group-sync';
import { scimString, type ScimClient, type ScimResource } from './client';
import { SCIM_GROUP_SCHEMA } from './urns';

export interface ScimGroupSyncSettings {
  directoryGroups: boolean;
  createMissing: boolean;
  deleteManaged: boolean;
  membership: 'overwrite' | 'merge';
}

export const DEFAULT_SCIM_GROUP_SYNC: ScimGroupSyncSettings = { directoryGroups: false, createMissing: true, deleteManaged: true, membership: 'overwrite' };

function memberIds(group: ScimResource): string[] {
  return Array.isArray(group.members) ? (group.members as Array<{ value?: string }>).map((m) => String(m.value)) : [];
}

/** A group carrying an externalId was created from the directory (by idsync): person runs leave its members alone. */
export function isDirectoryGroup(group: ScimResource): boolean {
  return typeof group.externalId === 'string' && group.externalId !== '';
}

export class ScimDirectoryGroups {
  constructor(
    private readonly target: string,
    private readonly client: ScimClient,
    private readonly settings: ScimGroupSyncSettings,
  ) {}

  private async locate(group: DirectoryGroupRef, byName: boolean): Promise<ScimResource | null> {
    if (group.linkedId) {
      const linked = await this.client.get('/Groups', group.linkedId);
      if (linked) return linked;
    }
    const ours = await this.client.findEqual('/Groups', 'externalId', group.anchor);
    if (ours[0] || !byName) return ours[0] ?? null;
    for (const name of [group.name, group.previousName].filter((n): n is string => !!n)) {
      const named = await this.client.findEqual('/Groups', 'displayName', name);
      if (named.length > 1) throw nonRetryable('AmbiguousMatch', `${named.length} groups are named "${name}"`, { target: this.target, identity: `group ${group.anchor}`, field: 'displayName' });
      if (named[0]) return (await this.client.get('/Groups', named[0].id)) ?? named[0];
    }
    return null;
  }

  /** Ids of the users anchored to the given people (one listing of externalIds); the rest are counted. */
  private async usersOf(anchors: string[]): Promise<{ ids: Set<string>; unresolved: number }> {
    const wanted = new Set(anchors);
    const ids = new Set<string>();
    const found = new Set<string>();
    for await (const user of this.client.list('/Users', { attributes: 'externalId' })) {
      if (typeof user.externalId === 'string' && wanted.has(user.externalId)) {
        ids.add(user.id);
        found.add(user.externalId);
      }
    }
    return { ids, unresolved: anchors.length - found.size };
  }

  async ensure(group: DirectoryGroupRef, memberAnchors: string[]): Promise<GroupSyncResult> {
    const wanted = await this.usersOf(memberAnchors);
    const changes: Change[] = [];
    let resource = await this.locate(group, true);
    if (!resource) {
      if (!this.settings.createMissing) {
        throw nonRetryable('UnknownEntitlement', `group "${group.name}" does not exist and groupSync.createMissing is off`, { target: this.target, identity: `group ${group.anchor}`, field: 'groupSync.createMissing' });
      }
      const members = [...wanted.ids].map((value) => ({ value }));
      const created = await this.client.create('/Groups', { schemas: [SCIM_GROUP_SCHEMA], displayName: group.name, externalId: group.anchor, members });
      changes.push({ action: 'create', target: this.target, accountId: created.id, subject: `group:${group.name}`, after: { members: members.length } });
      return { groupId: created.id, created: true, changes, unresolvedMembers: wanted.unresolved };
    }
    if (resource.displayName !== group.name) {
      resource = (await this.client.patch('/Groups', resource, [{ op: 'replace', path: 'displayName', value: group.name }])) ?? resource;
      changes.push({ action: 'update', target: this.target, accountId: resource.id, subject: `group:${group.name}`, before: group.previousName, after: group.name });
    }
    const current = new Set(memberIds(resource));
    const add = [...wanted.ids].filter((id) => !current.has(id));
    const remove = this.settings.membership === 'overwrite' ? [...current].filter((id) => !wanted.ids.has(id)) : [];
    if (add.length > 0) await this.client.patch('/Groups', resource, [{ op: 'add', path: 'members', value: add.map((value) => ({ value })) }], false);
    for (const id of remove) await this.client.patch('/Groups', resource, [{ op: 'remove', path: `members[value eq ${scimString(id)}]` }], false);
    for (const id of add) changes.push({ action: 'grant', target: this.target, accountId: id, subject: `group:${group.name}` });
    for (const id of remove) changes.push({ action: 'revoke', target: this.target, accountId: id, subject: `group:${group.name}` });
    return { groupId: resource.id, created: resource.externalId === group.anchor, changes, unresolvedMembers: wanted.unresolved };
  }

  async remove(group: DirectoryGroupRef): Promise<GroupRemovalResult> {
    // Never by name: a group found only by its name is someone else's, and is not idsync's to delete.
    const resource = await this.locate(group, false);
    if (!resource) return { changes: [] };
    if (resource.externalId !== group.anchor) return { changes: [], kept: `group "${String(resource.displayName)}" was not created by idsync` };
    if (!this.settings.deleteManaged) return { changes: [], kept: 'groupSync.deleteManaged is off' };
    await this.client.delete('/Groups', resource);
    return { changes: [{ action: 'remove', target: this.target, accountId: resource.id, subject: `group:${String(resource.displayName)}` }] };
  }
}
