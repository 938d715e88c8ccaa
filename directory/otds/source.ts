import type { Person } from '../../domain/person';
import type { DisabledRule, OtdsDirectoryConfig } from '../config';
import type { DirectoryChanges, DirectoryGroup, DirectorySource } from '../source';
import { PersonMapper, type ResolvedMapping } from '../mapping';
import { LDAP_PRESETS } from '../ldap/presets';
import { OtdsClient } from './client';
import { OtdsGroupIndex, readOtdsGroups, type MemberOfSupport } from './groups';
import * as api from './protocol';

// OTDS REST carries the same attribute names as its LDAP listener; only the anchor is the JSON uuid.
const OTDS_MAPPING: Omit<ResolvedMapping, 'extra'> = { ...LDAP_PRESETS.otds.mapping, anchor: 'uuid', username: 'oTExternalID1' };
/** OTDS's REST API reports the account state of every user as accountDisabled (pyxecm 3.7.0, OTDS.get_users). */
const DEFAULT_DISABLED: DisabledRule[] = [{ attribute: 'accountDisabled', values: ['true'], present: false, expired: false }];

/**
 * DirectorySource over OTDS's REST API, in the dialect of OpenText's own client (directory/otds/protocol.ts).
 * OTDS offers no change cursor and no filter on modifyTimestamp there, so changesSince reads
 * everyone (the watcher keeps only real differences); a full read costs one request per page of
 * users plus one pass over the groups, membership coming from oTMemberOf.
 */
export class OtdsDirectorySource implements DirectorySource {
  readonly client: OtdsClient;
  private readonly mapping: ResolvedMapping;
  private readonly mapper: PersonMapper;
  private readonly memberOf: MemberOfSupport = { seen: false };

  constructor(
    private readonly config: OtdsDirectoryConfig,
    env: NodeJS.ProcessEnv,
  ) {
    this.client = new OtdsClient(config, env);
    const { extra, anchor: _anchor, ...overrides } = config.attributes;
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    this.mapping = { ...OTDS_MAPPING, ...defined, extra: extra ?? [] } as ResolvedMapping;
    this.mapper = new PersonMapper(this.mapping, config.disabled ?? DEFAULT_DISABLED);
  }

  private toPerson(user: api.OtdsUser, groups: string[]): Person {
    const bag = api.entryAttributes(user);
    bag.set('uuid', [user.uuid]);
    const person = this.mapper.map(bag, { anchor: user.uuid, dn: user.location ?? user.id, fallbackUsername: user.name });
    person.groups = groups;
    return person;
  }

  private async withGroups(user: api.OtdsUser, index?: OtdsGroupIndex): Promise<Person> {
    const groups = index ?? (await OtdsGroupIndex.load(this.client, this.config.partition, this.memberOf));
    return this.toPerson(user, await groups.namesFor(user, this.config.nestingDepth));
  }

  private inPartition(user: api.OtdsUser): boolean {
    return !this.config.partition || user.userPartitionID === this.config.partition;
  }

  /** Every user in scope, page by page, filtered by OTDS itself (partition, state). */
  private async *users(): AsyncIterable<api.OtdsUser> {
    const query = {
      [api.PARAM.partition]: this.config.partition,
      [api.PARAM.state]: this.config.state === 'enabled' ? 'enabled' : undefined,
      [api.PARAM.attributesAsKeys]: 'true',
    };
    for await (const page of this.client.pages<api.OtdsUserList>(api.USERS_PATH, query, 'user list')) {
      for (const user of page.users ?? []) if (this.inPartition(user)) yield user;
    }
  }

  async getPerson(anchor: string): Promise<Person | null> {
    for await (const user of this.users()) if (user.uuid === anchor) return this.withGroups(user);
    return null;
  }

  /** One user by login name (GET /users/{name}@{partition}, as OTDS.get_user asks), when the partition is known. */
  private async userByName(name: string): Promise<api.OtdsUser | null> {
    if (!this.config.partition) return null;
    const id = `${name}@${this.config.partition}`;
    const user = await this.client.get<api.OtdsUser>(api.userPath(id), {}, `user ${id}`);
    return user && this.inPartition(user) && this.matchesState(user) ? user : null;
  }

  private matchesState(user: api.OtdsUser): boolean {
    return this.config.state === 'all' || this.toPerson(user, []).enabled;
  }

  async findPerson(query: { username?: string; email?: string }): Promise<Person | null> {
    const wantedName = query.username?.toLowerCase();
    const wantedMail = query.email?.toLowerCase();
    const usernameAttribute = this.mapping.username.toLowerCase();
    const emailAttribute = (this.mapping.email ?? 'mail').toLowerCase();
    const matches = (user: api.OtdsUser) => {
      const bag = api.entryAttributes(user);
      const username = (bag.get(usernameAttribute)?.[0] ?? user.name).toLowerCase();
      return (wantedName !== undefined && (username === wantedName || user.name.toLowerCase() === wantedName)) ||
        (wantedMail !== undefined && bag.get(emailAttribute)?.[0]?.toLowerCase() === wantedMail);
    };
    if (query.username) {
      const direct = await this.userByName(query.username);
      if (direct && matches(direct)) return this.withGroups(direct);
    }
    for await (const user of this.users()) if (matches(user)) return this.withGroups(user);
    return null;
  }

  async *listPeople(): AsyncIterable<Person> {
    const index = await OtdsGroupIndex.load(this.client, this.config.partition, this.memberOf);
    for await (const user of this.users()) yield await this.withGroups(user, index);
  }

  async *listAnchors(): AsyncIterable<string> {
    for await (const user of this.users()) yield user.uuid;
  }

  async groupMemberAnchors(groupName: string): Promise<string[]> {
    const anchors: string[] = [];
    for await (const person of this.listPeople()) if (person.groups.includes(groupName)) anchors.push(person.anchor);
    return anchors.sort();
  }

  /** Groups in scope by OTDS uuid, members from everyone's groups (directory/otds/groups.ts). */
  async listGroups(): Promise<DirectoryGroup[]> {
    const groups = await readOtdsGroups(this.client, this.config.partition);
    const members = new Map<string, string[]>();
    for await (const person of this.listPeople()) {
      for (const name of person.groups) members.set(name.toLowerCase(), [...(members.get(name.toLowerCase()) ?? []), person.anchor]);
    }
    return groups.map((g) => ({ anchor: g.uuid, name: g.name, memberAnchors: [...(members.get(g.name.toLowerCase()) ?? [])].sort() }));
  }

  async getGroup(anchor: string): Promise<DirectoryGroup | null> {
    return (await this.listGroups()).find((g) => g.anchor === anchor.toLowerCase()) ?? null;
  }

  async currentCursor(): Promise<string> {
    return `otds|${new Date().toISOString()}`;
  }

  async changesSince(_cursor: string | null): Promise<DirectoryChanges> {
    const cursor = await this.currentCursor();
    const changed: Person[] = [];
    for await (const person of this.listPeople()) changed.push(person);
    return { changed, removedAnchors: [], cursor };
  }

  async close(): Promise<void> {
    this.client.forget();
  }
}
