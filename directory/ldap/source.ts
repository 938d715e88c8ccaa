import { ApplicationFailure } from '@temporalio/common';
import { EqualityFilter, GreaterThanEqualsFilter, InsufficientAccessError, NoSuchObjectError, OrFilter, ResultCodeError, type Client, type Entry, type Filter } from 'ldapts';
import { allOf } from './filters';
import type { Person } from '../../domain/person';
import { nonRetryable, retryable } from '../../lib/errors';
import type { LdapDirectoryConfig } from '../config';
import type { DirectoryChanges, DirectoryGroup, DirectorySource } from '../source';
import { mappedAttributeNames, PersonMapper, type AttributeBag } from '../mapping';
import { openLdapClient } from './connection';
import { compareChangeValues, cursorAt, cursorHoldsOn, decodeCursor, encodeCursor, maxChangeValue, searchLowerBound } from './cursor';
import { readHighWaterMark, readRootDse } from './high-water';
import { entryToBag, guidToBytes, isUnder, normalizeDn, rdnValue } from './entry';
import { allValues, GroupIndex, GroupLookup, memberAnchorsOf, readGroupEntries, type GroupScope } from './groups';
import { effectiveSettings, type EffectiveLdapSettings } from './presets';
import { ScanConnection, type ScanRequest } from './scan/scan-connection';
import { ManagerResolver, pagedSearch } from './lookups';
import { tombstonesSince } from './tombstones';

type GroupsOf = (dn: string) => Promise<string[]> | string[];
type ScannedEntry = { dn: string; attributes: AttributeBag };
const BULK_DELTA = 200;
const DN_BATCH = 100;

/** DirectorySource over LDAP (OpenLDAP, Active Directory, OTDS's LDAP listener) with ldapts. */
export class LdapDirectorySource implements DirectorySource {
  private readonly settings: EffectiveLdapSettings;
  private readonly personAttributes: string[];
  /** A full scan only builds Persons, which never carry the change attribute: one value less to parse per entry. */
  private readonly scanAttributes: string[];
  private readonly mapper: PersonMapper;
  private readonly binaryAttributes: string[];
  private connection: Promise<Client> | null = null;
  /**
   * Groups whose members a change read handed over, by normalised DN with their change value, and
   * the cursor it returned. A caller that comes back with exactly that cursor has saved that read
   * (a retry of a failed poll comes with the older one), so a group the look-back window returns
   * again with the same change value has the same members and is not expanded again.
   */
  private expandedGroups: { cursor: string; changeValues: Map<string, string> } | null = null;

  constructor(
    private readonly config: LdapDirectoryConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.settings = effectiveSettings(config);
    const mapped = mappedAttributeNames(this.settings.mapping, this.settings.disabled);
    const distinct = (names: string[]) => names.filter((name, i, all) => all.findIndex((n) => n.toLowerCase() === name.toLowerCase()) === i);
    this.personAttributes = distinct([this.settings.anchorAttribute, this.settings.changeAttribute, ...mapped]);
    this.scanAttributes = distinct([this.settings.anchorAttribute, ...mapped]);
    this.mapper = new PersonMapper(this.settings.mapping, this.settings.disabled);
    this.binaryAttributes = this.settings.binaryAnchor ? [this.settings.anchorAttribute] : [];
  }

  private get groupScope(): GroupScope | null {
    const groups = this.config.groups;
    return groups ? { baseDn: groups.baseDn, scope: groups.scope, nestingDepth: groups.nestingDepth } : null;
  }

  /** One bound connection, reopened after a transport failure. */
  private async withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    if (!this.connection) {
      this.connection = openLdapClient(this.config, this.env);
      this.connection.catch(() => (this.connection = null));
    }
    const client = await this.connection;
    try {
      return await work(client);
    } catch (err) {
      throw await this.classify(err, client);
    }
  }

  /** LDAP result codes keep the connection; anything else (socket, parser) drops it so the next call reconnects. */
  private async classify(err: unknown, client: Client | null): Promise<Error> {
    if (err instanceof ApplicationFailure) return err;
    const message = (err as Error).message;
    if (err instanceof InsufficientAccessError) {
      return nonRetryable('PermissionDenied', `the directory refused a read as ${this.config.bindDn ?? 'anonymous'}: ${message}`, { target: 'directory', field: 'directory.bindDn' });
    }
    if (!(err instanceof ResultCodeError) && client) {
      if (this.connection) this.connection = null;
      await client.unbind().catch(() => undefined);
    }
    return retryable('DirectoryUnavailable', `directory ${this.config.url} failed: ${message}`, { target: 'directory' });
  }

  /** Both readers (ldapts entries and the scan's bags) derive anchors here, so a person's anchor never depends on the path. */
  private anchorIn(bag: AttributeBag): string | undefined {
    return bag.get(this.settings.anchorAttribute.toLowerCase())?.[0] || undefined;
  }

  private bagOf(entry: Entry): AttributeBag {
    return entryToBag(entry, this.binaryAttributes);
  }

  private anchorOf(entry: Entry): string | undefined {
    return this.anchorIn(this.bagOf(entry));
  }

  private anchorFilter(anchor: string): Filter {
    const value = this.settings.binaryAnchor ? guidToBytes(anchor) : anchor;
    if (value === null) throw nonRetryable('ValidationError', 'anchor is not a GUID', { target: 'directory', identity: anchor, field: this.settings.anchorAttribute });
    return new EqualityFilter({ attribute: this.settings.anchorAttribute, value });
  }

  private searchOptions(filter: string | Filter) {
    return {
      scope: this.config.people.scope,
      filter,
      attributes: this.personAttributes,
      explicitBufferAttributes: this.binaryAttributes,
    };
  }

  /** Awaits only when something is not already in memory: a full scan mostly stays synchronous. */
  private async buildPerson(dn: string, bag: AttributeBag, groupsOf: GroupsOf | null, managers: ManagerResolver): Promise<Person | null> {
    const anchor = this.anchorIn(bag);
    if (!anchor) return null;
    const person = this.mapper.map(bag, { anchor, dn, fallbackUsername: rdnValue });
    managers.remember(dn, anchor);
    if (groupsOf) {
      const groups = groupsOf(dn);
      person.groups = Array.isArray(groups) ? groups : await groups;
    }
    if (person.managerDn) {
      const known = managers.known(person.managerDn);
      const managerAnchor = known !== undefined ? known : await managers.resolve(person.managerDn);
      if (managerAnchor) person.managerAnchor = managerAnchor;
    }
    return person;
  }

  private managerResolver(client: Client): ManagerResolver {
    return new ManagerResolver(async (dn) => {
      try {
        const res = await client.search(dn, { ...this.searchOptions(this.settings.peopleFilter), scope: 'base', attributes: [this.settings.anchorAttribute] });
        return res.searchEntries[0] ? (this.anchorOf(res.searchEntries[0]) ?? null) : null;
      } catch (err) {
        if (err instanceof NoSuchObjectError) return null;
        throw err;
      }
    });
  }

  private async searchPeople(filter: Filter): Promise<Person[]> {
    return this.withClient(async (client) => {
      const lookup = this.groupScope ? new GroupLookup(client, this.settings, this.groupScope) : null;
      const managers = this.managerResolver(client);
      const res = await this.ignoreMissingBase(() => client.search(this.config.people.baseDn, this.searchOptions(filter)));
      const people: Person[] = [];
      for (const entry of res?.searchEntries ?? []) {
        const person = await this.buildPerson(entry.dn, this.bagOf(entry), lookup ? (dn) => lookup.groupsOf(dn) : null, managers);
        if (person) people.push(person);
      }
      return people;
    });
  }

  /** A missing base DN reads as "nobody here": the watcher's shrink guard then holds any leavers. */
  private async ignoreMissingBase<T>(run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof NoSuchObjectError) return null;
      throw err;
    }
  }

  async getPerson(anchor: string): Promise<Person | null> {
    const people = await this.searchPeople(allOf(this.settings.peopleFilter, this.anchorFilter(anchor)));
    return people[0] ?? null;
  }

  async findPerson(query: { username?: string; email?: string }): Promise<Person | null> {
    const clauses: Filter[] = [];
    if (query.username) clauses.push(new EqualityFilter({ attribute: this.settings.mapping.username, value: query.username }));
    if (query.email && this.settings.mapping.email) clauses.push(new EqualityFilter({ attribute: this.settings.mapping.email, value: query.email }));
    if (clauses.length === 0) return null;
    const people = await this.searchPeople(allOf(this.settings.peopleFilter, new OrFilter({ filters: clauses })));
    if (people.length > 1) {
      throw nonRetryable('AmbiguousMatch', `${people.length} directory entries match`, { target: 'directory', identity: query.username ?? query.email });
    }
    return people[0] ?? null;
  }

  async *listPeople(): AsyncIterable<Person> {
    const client = await this.withClient(async (c) => c);
    const scope = this.groupScope;
    let index: GroupIndex | null;
    try {
      index = scope ? await this.ignoreMissingBase(() => GroupIndex.load(client, this.settings, scope, this.config.pageSize)) : null;
    } catch (err) {
      throw await this.classify(err, client);
    }
    const managers = this.managerResolver(client);
    for await (const page of this.scanPeople(this.scanAttributes)) {
      // buildPerson's work without an async call per person: everything but an unknown manager is in memory.
      for (const { dn, attributes } of page) {
        const anchor = this.anchorIn(attributes);
        if (!anchor) continue;
        const person = this.mapper.map(attributes, { anchor, dn, fallbackUsername: rdnValue });
        managers.remember(dn, anchor);
        if (index) person.groups = index.groupsOf(dn);
        if (person.managerDn) {
          const known = managers.known(person.managerDn);
          const managerAnchor = known !== undefined ? known : await managers.resolve(person.managerDn);
          if (managerAnchor) person.managerAnchor = managerAnchor;
        }
        yield person;
      }
    }
  }

  async *listAnchors(): AsyncIterable<string> {
    // Anchors only: entries are tiny, so larger pages than configured cost the server little.
    for await (const page of this.scanPeople([this.settings.anchorAttribute], Math.max(this.config.pageSize, 1000))) {
      for (const { attributes } of page) {
        const anchor = this.anchorIn(attributes);
        if (anchor) yield anchor;
      }
    }
  }

  /**
   * Every person entry, a page at a time, as attribute bags. The default reader streams the
   * pages through its own connection (scan/) and decodes each entry as it is read from the page;
   * `scanReader: ldapts` reads them like any other search.
   */
  private async *scanPeople(attributes: string[], pageSize = this.config.pageSize): AsyncGenerator<Iterable<ScannedEntry>> {
    const request: ScanRequest = {
      baseDn: this.config.people.baseDn,
      scope: this.config.people.scope,
      filter: this.settings.peopleFilter,
      attributes,
      binaryAttributes: this.binaryAttributes,
      pageSize,
    };
    if (this.config.scanReader === 'ldapts') {
      yield* this.scanWithLdapts(request);
      return;
    }
    const connection = await ScanConnection.open(this.config, this.env);
    try {
      // An entry the server sent malformed fails the scan as retryable, like a broken connection.
      yield* connection.pages(request, (malformed) => retryable('DirectoryUnavailable', `directory ${this.config.url} failed: ${malformed.message}`, { target: 'directory' }));
    } catch (err) {
      if (!(err instanceof NoSuchObjectError)) throw await this.classify(err, null);
    } finally {
      await connection.close();
    }
  }

  private async *scanWithLdapts(request: ScanRequest): AsyncGenerator<ScannedEntry[]> {
    const client = await this.withClient(async (c) => c);
    const pages = client.searchPaginated(request.baseDn, {
      scope: request.scope,
      filter: request.filter,
      attributes: request.attributes,
      explicitBufferAttributes: request.binaryAttributes,
      paged: { pageSize: request.pageSize },
    });
    try {
      for await (const page of pages) yield page.searchEntries.map((entry) => ({ dn: entry.dn, attributes: this.bagOf(entry) }));
    } catch (err) {
      if (!(err instanceof NoSuchObjectError)) throw await this.classify(err, client);
    }
  }

  async groupMemberAnchors(groupName: string): Promise<string[]> {
    const scope = this.groupScope;
    if (!scope) return [];
    return this.withClient(async (client) => {
      const nameFilter = new EqualityFilter({ attribute: this.settings.groupNameAttribute, value: groupName });
      const res = await client.search(scope.baseDn, { scope: scope.scope, filter: allOf(this.settings.groupFilter, nameFilter), attributes: ['1.1'] });
      const anchors = new Set<string>();
      for (const group of res.searchEntries) {
        for (const entry of await this.expandMembers(client, group.dn, scope.nestingDepth)) {
          const anchor = this.anchorOf(entry);
          if (anchor) anchors.add(anchor);
        }
      }
      return [...anchors].sort();
    });
  }

  /** Groups in scope with their members' anchors: one pass over the groups and one anchors-only pass over the people. */
  async listGroups(): Promise<DirectoryGroup[]> {
    const scope = this.groupScope;
    if (!scope) return [];
    const anchorByDn = new Map<string, string>();
    for await (const page of this.scanPeople([this.settings.anchorAttribute], Math.max(this.config.pageSize, 1000))) {
      for (const { dn, attributes } of page) anchorByDn.set(normalizeDn(dn), this.anchorIn(attributes) ?? '');
    }
    const entries = (await this.withClient((client) => this.ignoreMissingBase(() => readGroupEntries(client, this.settings, scope, this.config.pageSize)))) ?? [];
    const byDn = new Map(entries.map((g) => [normalizeDn(g.dn), g]));
    return entries.map((g) => ({ anchor: g.anchor, name: g.name, memberAnchors: memberAnchorsOf(g, byDn, anchorByDn, scope.nestingDepth) }));
  }

  async getGroup(anchor: string): Promise<DirectoryGroup | null> {
    const scope = this.groupScope;
    if (!scope) return null;
    return this.withClient(async (client) => {
      const filter = allOf(this.settings.groupFilter, this.anchorFilter(anchor));
      const [group] = (await this.ignoreMissingBase(() => readGroupEntries(client, this.settings, scope, this.config.pageSize, filter))) ?? [];
      if (!group) return null;
      const anchors = (await this.expandMembers(client, group.dn, scope.nestingDepth)).map((e) => this.anchorOf(e)).filter((a): a is string => !!a);
      return { anchor: group.anchor, name: group.name, memberAnchors: [...new Set(anchors)].sort() };
    });
  }

  /** People entries below a group, following member groups down `depth` levels. */
  private async expandMembers(client: Client, groupDn: string, depth: number): Promise<Entry[]> {
    const scope = this.groupScope!;
    const seen = new Set<string>();
    const people = new Map<string, Entry>();
    let frontier = [groupDn];
    for (let level = 0; level <= depth && frontier.length > 0; level++) {
      const groupDns = frontier.filter((dn) => !seen.has(normalizeDn(dn)));
      for (const dn of groupDns) seen.add(normalizeDn(dn));
      const groups = await this.readByDn(client, scope.baseDn, scope.scope, groupDns, this.settings.groupFilter, [this.settings.memberAttribute]);
      const memberDns: string[] = [];
      for (const group of groups) memberDns.push(...(await allValues(client, group, this.settings.memberAttribute)));
      const persons = await this.readByDn(client, this.config.people.baseDn, this.config.people.scope, memberDns, this.settings.peopleFilter, this.personAttributes);
      for (const entry of persons) people.set(normalizeDn(entry.dn), entry);
      frontier = memberDns.filter((dn) => !people.has(normalizeDn(dn)));
    }
    return [...people.values()];
  }

  /**
   * Reads many entries by DN with one OR-filter search per hundred DNs instead of one base search
   * each (a change to a 10,000-member group costs 100 searches). DNs the server spells differently
   * than the member values fall back to a base search each, so nobody is lost to spelling.
   */
  private async readByDn(client: Client, base: string, scope: 'one' | 'sub', dns: string[], filter: string, attributes: string[]): Promise<Entry[]> {
    const found: Entry[] = [];
    const wanted = new Set(dns.map(normalizeDn));
    const options = { scope, attributes, explicitBufferAttributes: this.binaryAttributes, paged: { pageSize: this.config.pageSize } };
    for (let i = 0; i < dns.length; i += DN_BATCH) {
      const clauses = dns.slice(i, i + DN_BATCH).map((dn) => new EqualityFilter({ attribute: this.settings.dnAttribute, value: dn }));
      const res = await this.ignoreMissingBase(() => pagedSearch(client, base, { ...options, filter: allOf(filter, new OrFilter({ filters: clauses })) }));
      for (const entry of res?.searchEntries ?? []) {
        if (wanted.delete(normalizeDn(entry.dn))) found.push(entry);
      }
    }
    for (const dn of dns) {
      if (!wanted.has(normalizeDn(dn)) || !isUnder(dn, base)) continue;
      const res = await this.ignoreMissingBase(() => client.search(dn, { ...options, scope: 'base', filter }));
      if (res?.searchEntries[0]) found.push(res.searchEntries[0]);
    }
    return found;
  }

  /**
   * Per-person reverse lookups for a handful of changes; one pass over all groups when a delta is
   * large (a bulk import, or a cursor older than the data, as after an offline slapadd).
   */
  private async groupResolverFor(client: Client, people: number): Promise<GroupsOf | null> {
    const scope = this.groupScope;
    if (!scope) return null;
    if (people > BULK_DELTA) {
      const index = await this.ignoreMissingBase(() => GroupIndex.load(client, this.settings, scope, this.config.pageSize));
      return index ? (dn) => index.groupsOf(dn) : null;
    }
    const lookup = new GroupLookup(client, this.settings, scope);
    return (dn) => lookup.groupsOf(dn);
  }

  async currentCursor(): Promise<string> {
    return this.withClient((client) => readHighWaterMark(client, this.settings.changeAttribute, this.config));
  }

  /** The domain controller answering on this connection, for USN cursors (undefined elsewhere). */
  private async usnServer(): Promise<string | undefined> {
    if (this.settings.changeAttribute !== 'uSNChanged') return undefined;
    return this.withClient(async (client) => (await readRootDse(client, ['dsServiceName'])).get('dsservicename')?.[0]);
  }

  async changesSince(cursorText: string | null): Promise<DirectoryChanges> {
    const attribute = this.settings.changeAttribute;
    const server = await this.usnServer();
    const decoded = cursorText ? decodeCursor(cursorText, attribute) : null;
    // Another DC's USNs say nothing about this one: compare everyone instead (the caller drops what did not change).
    const cursor = decoded && cursorHoldsOn(decoded, server) ? decoded : null;
    if (!cursor) {
      const start = await this.currentCursor();
      const changed: Person[] = [];
      for await (const person of this.listPeople()) changed.push(person);
      return { changed, removedAnchors: [], cursor: start };
    }
    const since = searchLowerBound(cursor, this.config.changeLookback);
    const sinceFilter = new GreaterThanEqualsFilter({ attribute, value: since });
    return this.withClient(async (client) => {
      const scope = this.groupScope;
      const managers = this.managerResolver(client);
      const changeValues: string[] = [];
      const entries = new Map<string, Entry>();
      const peopleRes = await this.ignoreMissingBase(() =>
        pagedSearch(client, this.config.people.baseDn, { ...this.searchOptions(allOf(this.settings.peopleFilter, sinceFilter)), paged: { pageSize: this.config.pageSize } }),
      );
      for (const entry of peopleRes?.searchEntries ?? []) entries.set(normalizeDn(entry.dn), entry);
      for (const entry of peopleRes?.searchEntries ?? []) changeValues.push(...(entryToBag(entry).get(attribute.toLowerCase()) ?? []));
      const changedGroups: string[] = [];
      const alreadyExpanded = this.expandedGroups?.cursor === cursorText ? this.expandedGroups.changeValues : undefined;
      const expanded = new Map<string, string>();
      if (scope) {
        const groupRes = await this.ignoreMissingBase(() =>
          pagedSearch(client, scope.baseDn, {
            paged: { pageSize: this.config.pageSize },
            scope: scope.scope,
            filter: allOf(this.settings.groupFilter, sinceFilter),
            attributes: [this.settings.groupNameAttribute, attribute],
          }),
        );
        for (const group of groupRes?.searchEntries ?? []) {
          const bag = entryToBag(group);
          const groupChange = bag.get(attribute.toLowerCase()) ?? [];
          changeValues.push(...groupChange);
          const dn = normalizeDn(group.dn);
          if (groupChange[0] !== undefined) expanded.set(dn, groupChange[0]);
          if (groupChange[0] !== undefined && alreadyExpanded?.get(dn) === groupChange[0]) continue;
          changedGroups.push(bag.get(this.settings.groupNameAttribute.toLowerCase())?.[0] ?? rdnValue(group.dn));
          for (const member of await this.expandMembers(client, group.dn, scope.nestingDepth)) entries.set(normalizeDn(member.dn), member);
        }
      }
      // AD: deletions since the cursor, proven by their tombstones (elsewhere only presence scans prove them).
      const deleted = attribute === 'uSNChanged' ? await tombstonesSince(client, { anchorAttribute: this.settings.anchorAttribute, binaryAttributes: this.binaryAttributes, since, pageSize: this.config.pageSize }) : null;
      changeValues.push(...(deleted?.changeValues ?? []));
      const changed: Person[] = [];
      const groupsOf = await this.groupResolverFor(client, entries.size);
      for (const entry of entries.values()) {
        const person = await this.buildPerson(entry.dn, this.bagOf(entry), groupsOf, managers);
        if (person) changed.push(person);
      }
      const next = maxChangeValue(attribute, changeValues, cursor.value);
      const value = compareChangeValues(attribute, next, cursor.value) >= 0 ? next : cursor.value;
      const nextCursor = encodeCursor({ ...cursorAt(attribute, value, this.config.changeLookback), server: server ?? cursor.server });
      // Only a cursor that moved proves, when it comes back, that this read was saved; an unmoved one
      // keeps the record of the read that moved it.
      if (nextCursor !== cursorText) this.expandedGroups = { cursor: nextCursor, changeValues: expanded };
      return { changed, removedAnchors: deleted?.anchors ?? [], cursor: nextCursor, changedGroups: [...new Set(changedGroups)].sort() };
    });
  }

  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = null;
    if (pending) await pending.then((c) => c.unbind()).catch(() => undefined);
  }
}
