/**
 * The SCIM emulator's in-memory state. scimmy handles schema, PatchOp and list rendering; this
 * store owns what scimmy leaves to the service provider: ids, uniqueness (userName and group
 * displayName, case-insensitively, deactivated users included), meta timestamps and versions,
 * derived User.groups, and hard vs soft delete.
 */
import { randomUUID } from 'node:crypto';
import SCIMMY from 'scimmy';
import { GROUP_FILTER_ATTRIBUTES, USER_FILTER_ATTRIBUTES, matchesFilter, type FilterNode } from './filter';
import type { ParsedScimSeed, ParsedScimSwitches } from './seed';

export interface StoredResource {
  id: string;
  /** Client-writable attributes as last written (no id/meta/schemas/read-only attributes). */
  data: Record<string, unknown>;
  created: string;
  lastModified: string;
  version: number;
  /** Emulator-only facts that are not SCIM attributes (e.g. a Highspot user's last activity). */
  extras: Record<string, unknown>;
}

export interface Member {
  value: string;
  display?: string;
  type?: string;
}

const READ_ONLY = new Set(['id', 'meta', 'schemas', 'groups']);
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function scimError(status: number, scimType: string | null, detail: string): Error {
  return new SCIMMY.Types.Error(status, scimType as never, detail);
}

function writable(instance: Record<string, unknown>): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
  for (const key of Object.keys(plain)) if (READ_ONLY.has(key)) delete plain[key];
  return plain;
}

/** Users and groups as written to the emulator's state file (see ../state-file.ts); ids are UUIDs, so no counter. */
export interface SavedScimResources {
  users: StoredResource[];
  groups: StoredResource[];
}

export class ScimStore {
  readonly users = new Map<string, StoredResource>();
  readonly groups = new Map<string, StoredResource>();
  /** Writes refused with 412 because their If-Match was stale, so tests can see concurrency happened. */
  versionConflicts = 0;
  /**
   * User id -> the groups listing it, in group order; rebuilt on the next read after any group
   * changes. Without it every user view scanned every member of every group, and a list of 10,000
   * users in one 10,000-member group took seconds.
   */
  private groupsByUser: Map<string, StoredResource[]> | undefined;
  /**
   * Lookups a real SP answers from an index, kept up to date on every user write: lower-cased
   * userName -> user, externalId -> users, and every lower-cased address (userName and e-mails) ->
   * users. Without them each `userName eq` / `externalId eq` filter rendered every user, so a
   * lookup cost grew with the tenant.
   */
  private readonly usersByName = new Map<string, StoredResource>();
  private readonly usersByExternalId = new Map<string, Set<StoredResource>>();
  private readonly usersByAddress = new Map<string, Set<StoredResource>>();

  /** From the seed, or from saved resources (a restart with a state file): then the seed is not used. */
  constructor(
    readonly switches: ParsedScimSwitches,
    seed: ParsedScimSeed,
    saved?: SavedScimResources,
  ) {
    if (saved) {
      for (const user of saved.users) {
        this.users.set(user.id, user);
        this.indexUser(user, 'add');
      }
      for (const group of saved.groups) this.groups.set(group.id, group);
      return;
    }
    for (const displayName of seed.groups) this.saveGroup(undefined, { displayName, members: [] });
    // Memberships are collected and each group written once: one write per seed user rewrote (and
    // compared) the whole member list every time.
    const seedMembers = new Map<StoredResource, Member[]>();
    for (const user of seed.users) {
      const data: Record<string, unknown> = { userName: user.userName, active: user.active };
      if (user.externalId) data.externalId = user.externalId;
      if (user.givenName || user.familyName) data.name = { givenName: user.givenName, familyName: user.familyName };
      if (user.email) data.emails = [{ value: user.email, type: 'work', primary: true }];
      const saved = this.saveUser(undefined, data);
      for (const groupName of user.groups) {
        const group = this.groupByName(groupName);
        if (!group) throw new Error(`seed user ${user.userName} names unknown group ${groupName}`);
        const members = seedMembers.get(group) ?? seedMembers.set(group, [...this.membersOf(group)]).get(group)!;
        members.push({ value: saved.id });
      }
    }
    for (const [group, members] of seedMembers) this.saveGroup(group.id, { ...group.data, members });
  }

  versionTag(resource: StoredResource): string {
    return `W/"${resource.version}"`;
  }

  private meta(resource: StoredResource, resourceType: string): Record<string, unknown> {
    const meta: Record<string, unknown> = { resourceType, created: resource.created, lastModified: resource.lastModified };
    if (this.switches.etag) meta.version = this.versionTag(resource);
    return meta;
  }

  membersOf(group: StoredResource): Member[] {
    return Array.isArray(group.data.members) ? (group.data.members as Member[]) : [];
  }

  /** The groups that list `userId` as a member, in the order groups were created. */
  groupsOf(userId: string): StoredResource[] {
    if (!this.groupsByUser) {
      const index = new Map<string, StoredResource[]>();
      for (const group of this.groups.values()) {
        for (const member of this.membersOf(group)) {
          const groups = index.get(member.value);
          if (!groups) index.set(member.value, [group]);
          else if (groups[groups.length - 1] !== group) groups.push(group);
        }
      }
      this.groupsByUser = index;
    }
    return this.groupsByUser.get(userId) ?? [];
  }

  userView(user: StoredResource): Record<string, unknown> {
    const groups = this.groupsOf(user.id).map((g) => ({ value: g.id, display: g.data.displayName, type: 'direct' }));
    return { ...user.data, id: user.id, groups, meta: this.meta(user, 'User') };
  }

  /** `withMembers: false` when the request did not ask for members: rendering them costs a lookup per member. */
  groupView(group: StoredResource, withMembers = true): Record<string, unknown> {
    if (!withMembers) {
      const { members: _members, ...rest } = group.data;
      return { ...rest, id: group.id, meta: this.meta(group, 'Group') };
    }
    const members = this.membersOf(group).map((m) => {
      const user = this.users.get(m.value);
      return { value: m.value, display: user ? String(user.data.displayName ?? user.data.userName) : m.display, type: 'User' };
    });
    return { ...group.data, id: group.id, members, meta: this.meta(group, 'Group') };
  }

  /**
   * The users a filter selects, in store order, as stored: callers render only the page they answer
   * with. `userName eq` and `externalId eq` start from the index; the filter still decides.
   */
  matchingUsers(filter?: FilterNode): StoredResource[] {
    const indexed = filter ? this.indexedUsers(filter) : undefined;
    const users = indexed ?? [...this.users.values()];
    return filter ? users.filter((u) => matchesFilter(this.userView(u), filter, USER_FILTER_ATTRIBUTES)) : users;
  }

  private indexedUsers(filter: FilterNode): StoredResource[] | undefined {
    if (filter.type !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined;
    if (filter.path === 'username') {
      const user = this.usersByName.get(filter.value.toLowerCase());
      return user ? [user] : [];
    }
    if (filter.path === 'externalid') return [...(this.usersByExternalId.get(filter.value) ?? [])];
    return undefined;
  }

  /** Users whose userName or one of whose e-mails is `address` (any case). */
  usersWithAddress(address: string): StoredResource[] {
    return [...(this.usersByAddress.get(address.toLowerCase()) ?? [])];
  }

  /**
   * `members[value eq "id"]` and `members.value eq "id"` are answered from the member index alone
   * (exactly what they select); any other filter looks at every group.
   */
  matchingGroups(filter?: FilterNode): StoredResource[] {
    const member = filter ? memberFilterValue(filter) : undefined;
    if (member !== undefined) return this.groupsOf(member);
    const groups = [...this.groups.values()];
    return filter ? groups.filter((g) => matchesFilter(this.groupView(g), filter, GROUP_FILTER_ATTRIBUTES)) : groups;
  }

  groupByName(displayName: string): StoredResource | undefined {
    const wanted = displayName.toLowerCase();
    return [...this.groups.values()].find((g) => String(g.data.displayName).toLowerCase() === wanted);
  }

  userByName(userName: string): StoredResource | undefined {
    return this.usersByName.get(userName.toLowerCase());
  }

  private indexUser(user: StoredResource, change: 'add' | 'remove'): void {
    const { userName, externalId, emails } = user.data as { userName?: unknown; externalId?: unknown; emails?: Array<{ value?: unknown }> };
    const toggle = (index: Map<string, Set<StoredResource>>, key: string) => {
      const set = index.get(key) ?? index.set(key, new Set()).get(key)!;
      if (change === 'add') set.add(user);
      else if (set.delete(user) && set.size === 0) index.delete(key);
    };
    if (typeof userName === 'string') {
      if (change === 'add') this.usersByName.set(userName.toLowerCase(), user);
      else if (this.usersByName.get(userName.toLowerCase()) === user) this.usersByName.delete(userName.toLowerCase());
      toggle(this.usersByAddress, userName.toLowerCase());
    }
    if (typeof externalId === 'string') toggle(this.usersByExternalId, externalId);
    for (const email of Array.isArray(emails) ? emails : []) if (typeof email?.value === 'string') toggle(this.usersByAddress, email.value.toLowerCase());
  }

  /** Create (id undefined) or replace a user; a write that changes nothing keeps version and lastModified. */
  saveUser(id: string | undefined, instance: Record<string, unknown>): StoredResource {
    const data = writable(instance);
    const userName = typeof data.userName === 'string' ? data.userName : '';
    if (!userName) throw scimError(400, 'invalidValue', "Required attribute 'userName' is missing");
    if (this.switches.userNameMustBeEmail && !EMAIL_PATTERN.test(userName)) {
      throw scimError(400, 'invalidValue', `userName '${userName}' must be an email address`);
    }
    if (data.active === undefined) data.active = true;
    const clash = this.userByName(userName);
    if (clash && clash.id !== id) throw scimError(409, 'uniqueness', `userName '${userName}' is already in use`);
    return this.put(this.users, id, data, 'User');
  }

  saveGroup(id: string | undefined, instance: Record<string, unknown>): StoredResource {
    const data = writable(instance);
    const displayName = typeof data.displayName === 'string' ? data.displayName : '';
    if (!displayName) throw scimError(400, 'invalidValue', "Required attribute 'displayName' is missing");
    const clash = this.groupByName(displayName);
    if (clash && clash.id !== id) throw scimError(409, 'uniqueness', `group displayName '${displayName}' is already in use`);
    const seen = new Set<string>();
    const members: Member[] = [];
    for (const member of Array.isArray(data.members) ? (data.members as Member[]) : []) {
      if (!member || typeof member.value !== 'string') throw scimError(400, 'invalidValue', 'group member without a value');
      if (!this.users.has(member.value)) throw scimError(400, 'invalidValue', `group member '${member.value}' is not a known user`);
      // Adding an existing member again is a no-op, as at most SPs.
      if (!seen.has(member.value)) members.push({ value: member.value });
      seen.add(member.value);
    }
    data.members = members;
    return this.put(this.groups, id, data, 'Group');
  }

  private put(map: Map<string, StoredResource>, id: string | undefined, data: Record<string, unknown>, type: string): StoredResource {
    const now = new Date().toISOString();
    if (map === this.groups) this.groupsByUser = undefined;
    const isUser = map === this.users;
    if (id === undefined) {
      const created: StoredResource = { id: randomUUID(), data, created: now, lastModified: now, version: 1, extras: {} };
      map.set(created.id, created);
      if (isUser) this.indexUser(created, 'add');
      return created;
    }
    const existing = map.get(id);
    if (!existing) throw scimError(404, null, `${type} ${id} not found`);
    if (JSON.stringify(existing.data) !== JSON.stringify(data)) {
      if (isUser) this.indexUser(existing, 'remove');
      existing.data = data;
      if (isUser) this.indexUser(existing, 'add');
      existing.lastModified = now;
      existing.version += 1;
    }
    return existing;
  }

  /** Hard mode removes the user (and its memberships); soft mode only deactivates it. */
  deleteUser(id: string): void {
    const user = this.users.get(id);
    if (!user) throw scimError(404, null, `User ${id} not found`);
    if (this.switches.deleteMode === 'soft') {
      if (user.data.active !== false) this.put(this.users, id, { ...user.data, active: false }, 'User');
      return;
    }
    this.users.delete(id);
    this.indexUser(user, 'remove');
    for (const group of this.groups.values()) {
      const members = this.membersOf(group);
      if (members.some((m) => m.value === id)) this.put(this.groups, group.id, { ...group.data, members: members.filter((m) => m.value !== id) }, 'Group');
    }
  }

  deleteGroup(id: string): void {
    if (!this.groups.delete(id)) throw scimError(404, null, `Group ${id} not found`);
    this.groupsByUser = undefined;
  }

  /** Every resource as stored (meta, versions and emulator-only extras included). */
  save(): SavedScimResources {
    return { users: [...this.users.values()], groups: [...this.groups.values()] };
  }

  snapshot(): { users: Record<string, unknown>[]; groups: Record<string, unknown>[]; versionConflicts: number } {
    return {
      versionConflicts: this.versionConflicts,
      users: [...this.users.values()].map((u) => ({ ...this.userView(u), extras: u.extras })),
      groups: [...this.groups.values()].map((g) => this.groupView(g)),
    };
  }
}

/** The member id a `members[value eq "id"]` or `members.value eq "id"` filter selects, else undefined. */
function memberFilterValue(filter: FilterNode): string | undefined {
  const inner = filter.type === 'valuePath' && filter.path === 'members' ? filter.inner : filter;
  if (inner.type !== 'compare' || inner.op !== 'eq' || inner.path !== 'members.value' || typeof inner.value !== 'string') return undefined;
  return inner.value;
}
