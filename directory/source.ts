import type { Person } from '../domain/person';

/**
 * Read side of the enterprise directory. Implemented for LDAP (ldapts: OpenLDAP, AD, OTDS's LDAP)
 * and for OTDS's REST API. Membership always comes from the groups' `member` attribute.
 */
export interface DirectoryChanges {
  /** People whose entry or group membership changed since the cursor (current state). */
  changed: Person[];
  /** Anchors of people proven deleted: Active Directory's tombstones; elsewhere only scans prove a deletion (always empty). */
  removedAnchors: string[];
  /** Opaque cursor to pass next time (entryCSN / uSNChanged / timestamp high-water mark). */
  cursor: string;
  /**
   * Names of groups whose own entry changed. Their *former* members are not knowable from the
   * directory any more, so a caller holding a snapshot re-reads everyone it last saw in them.
   */
  changedGroups?: string[];
}

/** A directory group in scope, as the watcher tracks it and group workflows apply it to targets. */
export interface DirectoryGroup {
  /** Immutable: entryUUID / objectGUID (the person anchor attribute), so a rename keeps it. */
  anchor: string;
  /** The group's name (cn); what targets match by. */
  name: string;
  /** Anchors of the people in scope who are members, nested groups resolved to the configured depth; sorted. */
  memberAnchors: string[];
}

export interface DirectorySource {
  /** Current state of one person by immutable anchor; null when absent or out of scope. */
  getPerson(anchor: string): Promise<Person | null>;
  /** Lookup by username or email (case-insensitive), used by the CLI and approver checks. */
  findPerson(query: { username?: string; email?: string }): Promise<Person | null>;
  /** Every person in scope, paged, with bounded memory. */
  listPeople(): AsyncIterable<Person>;
  /** Names of all members (anchors) of a group, nested groups resolved to the configured depth. */
  groupMemberAnchors(groupName: string): Promise<string[]>;
  /** Incremental changes since `cursor` (null: everything, as the initial baseline). */
  changesSince(cursor: string | null): Promise<DirectoryChanges>;
  /** Anchors of everyone in scope (cheap presence scan that proves deletions); absent: use listPeople. */
  listAnchors?(): AsyncIterable<string>;
  /** The cursor for "now", taken before a full listPeople scan so nothing committed during it is lost. */
  currentCursor?(): Promise<string>;
  /** Every group in scope with its members (absent: this source does not list groups, and the watcher tracks none). */
  listGroups?(): Promise<DirectoryGroup[]>;
  /** One group by its anchor; null when it is gone or out of scope. */
  getGroup?(anchor: string): Promise<DirectoryGroup | null>;
  close(): Promise<void>;
}
