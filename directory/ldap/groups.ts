import { EqualityFilter, NoSuchObjectError, type Client, type Entry, type Filter } from 'ldapts';
import { entryToBag, normalizeDn, rdnValue } from './entry';
import { allOf } from './filters';
import type { EffectiveLdapSettings } from './presets';

export interface GroupScope {
  baseDn: string;
  scope: 'one' | 'sub';
  nestingDepth: number;
}

interface GroupRef {
  dn: string;
  name: string;
}

/** Synchronous twin of resolveGroupNames for in-memory indexes (no promise per person in a 100k scan). */
export function resolveGroupNamesSync(memberDn: string, depth: number, parentsOf: (dn: string) => GroupRef[]): string[] {
  let frontier = parentsOf(memberDn);
  if (frontier.length === 0) return [];
  const names = new Set<string>();
  const visited = new Set<string>([normalizeDn(memberDn)]);
  for (let level = 0; level <= depth && frontier.length > 0; level++) {
    const next: GroupRef[] = [];
    for (const group of frontier) {
      const key = normalizeDn(group.dn);
      if (visited.has(key)) continue;
      visited.add(key);
      names.add(group.name);
      if (level < depth) next.push(...parentsOf(group.dn));
    }
    frontier = next;
  }
  return [...names].sort();
}

/** Walks parent links breadth-first, at most `depth` levels above the direct groups; cycles are harmless. */
export async function resolveGroupNames(memberDn: string, depth: number, parentsOf: (dn: string) => Promise<GroupRef[]> | GroupRef[]): Promise<string[]> {
  const names = new Set<string>();
  const visited = new Set<string>([normalizeDn(memberDn)]);
  let frontier = [memberDn];
  for (let level = 0; level <= depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const dn of frontier) {
      for (const group of await parentsOf(dn)) {
        const key = normalizeDn(group.dn);
        if (visited.has(key)) continue;
        visited.add(key);
        names.add(group.name);
        next.push(group.dn);
      }
    }
    frontier = next;
  }
  return [...names].sort();
}

const RANGE_OPTION = /;range=(\d+)-(\d+|\*)$/;

/**
 * Every value of a multi-valued attribute (a group's members) of an entry already read.
 * Active Directory returns at most MaxValRange values (1,500 by default) per read, under a ranged
 * name such as `member;range=0-1499`; the rest are read range by range until one ends in `*`.
 * Without this, a large group would read as empty and every member would seem to leave it.
 */
export async function allValues(client: Client, entry: Entry, attribute: string): Promise<string[]> {
  const name = attribute.toLowerCase();
  let bag = entryToBag(entry);
  const values = [...(bag.get(name) ?? [])];
  for (let expectedStart = 0; ; ) {
    const ranged = [...bag.keys()].find((key) => key.startsWith(`${name};range=`) && RANGE_OPTION.test(key));
    if (!ranged && expectedStart === 0) return values;
    // Half a member list would read as people leaving the group: fail the read (it is retried) instead.
    if (!ranged) throw new Error(`${entry.dn}: the directory stopped answering ${attribute} ranges at value ${expectedStart}`);
    const [, start, end] = RANGE_OPTION.exec(ranged)!;
    // A server that answers a range other than the one asked for would otherwise loop or skip members.
    if (Number(start) !== expectedStart) throw new Error(`${entry.dn}: asked for ${attribute} from value ${expectedStart}, the directory answered ${ranged}`);
    values.push(...bag.get(ranged)!);
    if (end === '*') return values;
    expectedStart = Number(end) + 1;
    const vanished = () => new Error(`${entry.dn} vanished while its ${attribute} values were being read`);
    // Not a NoSuchObjectError: callers read that as "the group base is missing", i.e. no groups at all.
    const res = await client
      .search(entry.dn, { scope: 'base', filter: '(objectClass=*)', attributes: [`${attribute};range=${expectedStart}-*`] })
      .catch((err: unknown) => Promise.reject(err instanceof NoSuchObjectError ? vanished() : err));
    if (!res.searchEntries[0]) throw vanished();
    bag = entryToBag(res.searchEntries[0]);
  }
}

function groupRef(entry: Entry, settings: EffectiveLdapSettings): GroupRef {
  const bag = entryToBag(entry);
  return { dn: entry.dn, name: bag.get(settings.groupNameAttribute.toLowerCase())?.[0] ?? rdnValue(entry.dn) };
}

/** Per-person reverse lookups ((member=<dn>) searches): cheap for the few people an incremental poll touches. */
export class GroupLookup {
  private readonly parents = new Map<string, Promise<GroupRef[]>>();

  constructor(
    private readonly client: Client,
    private readonly settings: EffectiveLdapSettings,
    private readonly scope: GroupScope,
  ) {}

  groupsOf(memberDn: string): Promise<string[]> {
    return resolveGroupNames(memberDn, this.scope.nestingDepth, (dn) => this.parentsOf(dn));
  }

  private parentsOf(dn: string): Promise<GroupRef[]> {
    const key = normalizeDn(dn);
    let cached = this.parents.get(key);
    if (!cached) {
      const filter = allOf(this.settings.groupFilter, new EqualityFilter({ attribute: this.settings.memberAttribute, value: dn }));
      cached = this.client
        .search(this.scope.baseDn, { scope: this.scope.scope, filter, attributes: [this.settings.groupNameAttribute] })
        .then((res) => res.searchEntries.map((e) => groupRef(e, this.settings)));
      this.parents.set(key, cached);
    }
    return cached;
  }
}

/** Every group's members held in memory once per full scan: one paged pass instead of a search per person. */
export class GroupIndex {
  private readonly parentsByMember = new Map<string, GroupRef[]>();

  static async load(client: Client, settings: EffectiveLdapSettings, scope: GroupScope, pageSize: number): Promise<GroupIndex> {
    const index = new GroupIndex(scope.nestingDepth);
    const pages = client.searchPaginated(scope.baseDn, {
      scope: scope.scope,
      filter: settings.groupFilter,
      attributes: [settings.groupNameAttribute, settings.memberAttribute],
      paged: { pageSize },
    });
    for await (const page of pages) {
      for (const entry of page.searchEntries) {
        const ref = groupRef(entry, settings);
        for (const member of await allValues(client, entry, settings.memberAttribute)) {
          const key = normalizeDn(member);
          const list = index.parentsByMember.get(key);
          if (list) list.push(ref);
          else index.parentsByMember.set(key, [ref]);
        }
      }
    }
    return index;
  }

  private constructor(private readonly depth: number) {}

  groupsOf(memberDn: string): string[] {
    if (this.parentsByMember.size === 0) return [];
    return resolveGroupNamesSync(memberDn, this.depth, (dn) => this.parentsByMember.get(normalizeDn(dn)) ?? []);
  }
}

/** A group entry as read for group tracking: its own anchor and name, and the DNs it lists as members. */
export interface GroupEntry {
  dn: string;
  anchor: string;
  name: string;
  memberDns: string[];
}

/**
 * Every group entry in scope with its anchor (the same attribute people are anchored by: entryUUID,
 * objectGUID), name and member DNs, one paged pass. A group without an anchor cannot be followed
 * across a rename and is left out.
 */
export async function readGroupEntries(client: Client, settings: EffectiveLdapSettings, scope: GroupScope, pageSize: number, filter: Filter | string = settings.groupFilter): Promise<GroupEntry[]> {
  const binary = settings.binaryAnchor ? [settings.anchorAttribute] : [];
  const pages = client.searchPaginated(scope.baseDn, {
    scope: scope.scope,
    filter,
    attributes: [settings.anchorAttribute, settings.groupNameAttribute, settings.memberAttribute],
    explicitBufferAttributes: binary,
    paged: { pageSize },
  });
  const groups: GroupEntry[] = [];
  for await (const page of pages) {
    for (const entry of page.searchEntries) {
      const bag = entryToBag(entry, binary);
      const anchor = bag.get(settings.anchorAttribute.toLowerCase())?.[0];
      if (!anchor) continue;
      groups.push({ dn: entry.dn, anchor, name: groupRef(entry, settings).name, memberDns: await allValues(client, entry, settings.memberAttribute) });
    }
  }
  return groups;
}

/**
 * The anchors of a group's people, following member groups down `depth` levels (the same depth that
 * counts for a person's own groups). Member DNs that are neither a known group nor a person in scope
 * (the group itself, as an empty groupOfNames lists, or someone outside the people base) are ignored.
 */
export function memberAnchorsOf(group: GroupEntry, groupsByDn: Map<string, GroupEntry>, anchorByPersonDn: Map<string, string>, depth: number): string[] {
  const anchors = new Set<string>();
  const visited = new Set<string>([normalizeDn(group.dn)]);
  let frontier = group.memberDns;
  for (let level = 0; level <= depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const dn of frontier) {
      const key = normalizeDn(dn);
      const anchor = anchorByPersonDn.get(key);
      if (anchor) anchors.add(anchor);
      const nested = groupsByDn.get(key);
      if (nested && !visited.has(key)) {
        visited.add(key);
        next.push(...nested.memberDns);
      }
    }
    frontier = next;
  }
  return [...anchors].sort();
}
