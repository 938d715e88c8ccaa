import type { Change } from '../domain/account';
import type { TargetAdapter } from './adapter';

/**
 * Directory groups provisioned as target groups (Salesforce public groups, SCIM Groups), with
 * PingFederate's semantics: match by name, create, rename, overwrite membership, and delete only
 * groups idsync itself created. The group workflow remembers per target the id of the group it
 * linked (`linkedId`) and whether idsync created it (`created`), across continue-as-new.
 */
export interface DirectoryGroupRef {
  /** The directory group's immutable anchor. */
  anchor: string;
  /** Its current (or, for a removal, last) name. */
  name: string;
  /** On a rename: the name the target may still know it by. */
  previousName?: string;
  linkedId?: string;
  created?: boolean;
}

export interface GroupSyncResult {
  groupId: string;
  /** idsync created the group now or on an earlier run (it may delete it once the directory group is gone). */
  created: boolean;
  changes: Change[];
  /** Members with no account in this target (not provisioned there, or not yet): left out, counted only. */
  unresolvedMembers: number;
}

export interface GroupRemovalResult {
  changes: Change[];
  /** Why the target group was left in place (not created by idsync, deletion switched off), if it was. */
  kept?: string;
}

export interface DirectoryGroupSync {
  /** Whether this target's config turns directory group sync on. */
  readonly syncsDirectoryGroups: boolean;
  /** Find (link, then name, then previous name) or create the group, rename it, and make its members exactly `memberAnchors`' accounts. */
  ensureDirectoryGroup(group: DirectoryGroupRef, memberAnchors: string[]): Promise<GroupSyncResult>;
  /** Delete the linked group if idsync manages it; an absent group is no change. */
  removeDirectoryGroup(group: DirectoryGroupRef): Promise<GroupRemovalResult>;
}

/** The adapter's group sync, when it has one and its config turns it on. */
export function directoryGroupSyncOf(adapter: TargetAdapter | undefined): DirectoryGroupSync | null {
  const candidate = adapter as (TargetAdapter & Partial<DirectoryGroupSync>) | undefined;
  return candidate && typeof candidate.ensureDirectoryGroup === 'function' && candidate.syncsDirectoryGroups ? (candidate as unknown as DirectoryGroupSync) : null;
}
