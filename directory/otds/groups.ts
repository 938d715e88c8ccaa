import type { OtdsClient } from './client';
import * as api from './protocol';

interface IndexedGroup {
  id: string;
  name: string;
  /** Parent group uuids from the group's own oTMemberOf; null when the entry has none (asked for on demand). */
  parents: string[] | null;
}

/**
 * Whether this OTDS has been seen to put oTMemberOf on its entries. Until it has, an entry without
 * the attribute may simply be served without it, so its groups are asked for; afterwards a missing
 * attribute means "in no group". Either way the answer is the same; this only saves requests.
 */
export interface MemberOfSupport {
  seen: boolean;
}

/**
 * The groups of one read (a full scan, or one lookup), so membership costs a pass over the groups
 * rather than a request per person: users and groups name their groups in `oTMemberOf`. An entry
 * without that attribute (no groups, or a server that leaves it out) is asked for through its
 * /memberof list instead. A group outside the configured partition, met as someone's parent, makes
 * the index read every partition's groups once.
 */
export class OtdsGroupIndex {
  private readonly byUuid = new Map<string, IndexedGroup>();
  private readAllPartitions = false;

  private constructor(
    private readonly client: OtdsClient,
    private readonly partition: string | undefined,
    private readonly support: MemberOfSupport,
  ) {}

  static async load(client: OtdsClient, partition: string | undefined, support: MemberOfSupport): Promise<OtdsGroupIndex> {
    const index = new OtdsGroupIndex(client, partition, support);
    await index.read(partition);
    return index;
  }

  /** Direct group uuids of an entry from its oTMemberOf DNs; null when they must be asked for. */
  private memberOfUuids(entry: api.OtdsEntry): string[] | null {
    const dns = api.entryAttributes(entry).get('otmemberof');
    if (!dns) return this.support.seen ? [] : null;
    this.support.seen = true;
    return dns.map(api.groupUuidOfDn).filter((uuid): uuid is string => uuid !== null);
  }

  private async read(partition: string | undefined): Promise<void> {
    const query = { [api.PARAM.partition]: partition, [api.PARAM.attributesAsKeys]: 'true' };
    for await (const page of this.client.pages<api.OtdsGroupList>(api.GROUPS_PATH, query, 'group list')) {
      for (const group of page.groups ?? []) {
        this.byUuid.set(group.uuid.toLowerCase(), { id: group.id, name: group.name, parents: this.memberOfUuids(group) });
      }
    }
  }

  private async group(uuid: string): Promise<IndexedGroup | undefined> {
    if (!this.byUuid.has(uuid) && this.partition && !this.readAllPartitions) {
      this.readAllPartitions = true;
      await this.read(undefined);
    }
    return this.byUuid.get(uuid);
  }

  private async memberOfList(path: string, what: string): Promise<string[]> {
    const uuids: string[] = [];
    for await (const page of this.client.pages<api.OtdsGroupList>(path, { [api.PARAM.attributesAsKeys]: 'true' }, what)) {
      for (const group of page.groups ?? []) {
        const uuid = group.uuid.toLowerCase();
        if (!this.byUuid.has(uuid)) this.byUuid.set(uuid, { id: group.id, name: group.name, parents: this.memberOfUuids(group) });
        uuids.push(uuid);
      }
    }
    return uuids;
  }

  private async parentsOf(uuid: string): Promise<string[]> {
    const group = await this.group(uuid);
    if (!group) return [];
    // Read before this server was seen to carry oTMemberOf: its entry had none, so it has no parents.
    if (group.parents === null && this.support.seen) group.parents = [];
    group.parents ??= await this.memberOfList(api.groupMemberOfPath(group.id), `groups of group ${group.name}`);
    return group.parents;
  }

  /** Names of the user's groups, nested groups followed `depth` levels up; cycles are harmless. */
  async namesFor(user: api.OtdsUser, depth: number): Promise<string[]> {
    let frontier = this.memberOfUuids(user) ?? (await this.memberOfList(api.userMemberOfPath(user.id), `groups of user ${user.name}`));
    const names = new Set<string>();
    const visited = new Set<string>();
    for (let level = 0; level <= depth && frontier.length > 0; level++) {
      const next: string[] = [];
      for (const uuid of frontier) {
        if (visited.has(uuid)) continue;
        visited.add(uuid);
        const group = await this.group(uuid);
        if (!group) continue; // not readable by idsync's account: nothing to grant from it
        names.add(group.name);
        if (level < depth) next.push(...(await this.parentsOf(uuid)));
      }
      frontier = next;
    }
    return [...names].sort();
  }
}

/**
 * Every group of the partition (or all partitions) with its immutable OTDS uuid and its name, for
 * group tracking. Membership comes from the people's own groups (oTMemberOf, nesting followed), so
 * a group's members are exactly the people whose groups name it.
 */
export async function readOtdsGroups(client: OtdsClient, partition: string | undefined): Promise<{ uuid: string; name: string }[]> {
  const groups: { uuid: string; name: string }[] = [];
  const query = { [api.PARAM.partition]: partition, [api.PARAM.attributesAsKeys]: 'true' };
  for await (const page of client.pages<api.OtdsGroupList>(api.GROUPS_PATH, query, 'group list')) {
    for (const group of page.groups ?? []) groups.push({ uuid: group.uuid.toLowerCase(), name: group.name });
  }
  return groups;
}
