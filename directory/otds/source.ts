import type { Person } from '../../domain/person';
import { nonRetryable, redact, retryable } from '../../lib/errors';
import type { OtdsDirectoryConfig } from '../config';
import type { DirectoryChanges, DirectorySource } from '../source';
import { PersonMapper, type AttributeBag, type ResolvedMapping } from '../mapping';
import { resolveGroupNames } from '../ldap/groups';
import { LDAP_PRESETS } from '../ldap/presets';
import * as api from './protocol';

// OTDS REST carries the same attribute names as its LDAP listener; only the anchor is the JSON uuid.
const OTDS_MAPPING: Omit<ResolvedMapping, 'extra'> = { ...LDAP_PRESETS.otds.mapping, anchor: 'uuid', username: 'oTExternalID1' };
/**
 * DirectorySource over OTDS's REST API. OTDS offers no change cursor there, so changesSince reads
 * everyone (the watcher keeps only real differences); use the LDAP preset "otds" for large partitions.
 */
export class OtdsDirectorySource implements DirectorySource {
  private ticket: Promise<string> | null = null;
  private readonly mapping: ResolvedMapping;
  private readonly mapper: PersonMapper;

  constructor(
    private readonly config: OtdsDirectoryConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    const { extra, anchor: _anchor, ...overrides } = config.attributes;
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    this.mapping = { ...OTDS_MAPPING, ...defined, extra: extra ?? [] } as ResolvedMapping;
    const disabled = config.disabled ?? [{ attribute: 'ds-pwp-account-disabled', values: ['true'], present: false, expired: false }];
    this.mapper = new PersonMapper(this.mapping, disabled);
  }

  private url(path: string, query: Record<string, string | undefined> = {}): string {
    const url = new URL(path, this.config.baseUrl);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  private async authenticate(): Promise<string> {
    const password = this.env[this.config.passwordEnv];
    if (!password) {
      throw nonRetryable('ConfigError', `environment variable ${this.config.passwordEnv} (OTDS password) is not set`, { target: 'otds', field: 'directory.passwordEnv' });
    }
    const res = await fetch(this.url(api.CREDENTIALS_PATH), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ userName: this.config.username, password }),
      signal: AbortSignal.timeout(this.config.timeoutMs),
    });
    if (res.status === 401 || res.status === 403) {
      throw nonRetryable('PermissionDenied', `OTDS refused the credentials of ${this.config.username}`, { target: 'otds', field: 'directory.username' });
    }
    if (!res.ok) throw retryable('DirectoryUnavailable', `OTDS authentication answered HTTP ${res.status}`, { target: 'otds' });
    const body = (await res.json()) as { ticket?: string };
    if (!body.ticket) throw retryable('DirectoryUnavailable', 'OTDS authentication returned no ticket', { target: 'otds' });
    return body.ticket;
  }

  /** GET with the ticket cookie; one re-authentication when the ticket expired. Null on 404. */
  private async get<T>(path: string, query: Record<string, string | undefined> = {}, retried = false): Promise<T | null> {
    if (!this.ticket) {
      this.ticket = this.authenticate();
      this.ticket.catch(() => (this.ticket = null));
    }
    const ticket = await this.ticket;
    let res: Response;
    try {
      res = await fetch(this.url(path, query), {
        headers: { accept: 'application/json', cookie: `${api.TICKET_COOKIE}=${ticket}` },
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      throw retryable('DirectoryUnavailable', `OTDS ${path} failed: ${redact((err as Error).message)}`, { target: 'otds' });
    }
    if (res.status === 401 && !retried) {
      this.ticket = null;
      return this.get<T>(path, query, true);
    }
    if (res.status === 404) return null;
    if (!res.ok) {
      const text = redact((await res.text()).slice(0, 200));
      const ctx = { target: 'otds' };
      if (res.status === 429 || res.status >= 500) throw retryable('DirectoryUnavailable', `OTDS ${path} answered HTTP ${res.status}: ${text}`, ctx);
      throw nonRetryable('PermissionDenied', `OTDS ${path} answered HTTP ${res.status}: ${text}`, ctx);
    }
    return (await res.json()) as T;
  }

  /** Follows nextPageCookie until the server stops returning one. */
  private async *pages<T extends api.OtdsPage>(path: string, query: Record<string, string | undefined> = {}): AsyncIterable<T> {
    let cookie: string | undefined;
    do {
      const page = await this.get<T>(path, { ...query, [api.LIMIT_PARAM]: String(this.config.pageSize), [api.PAGE_COOKIE_PARAM]: cookie });
      if (!page) return;
      yield page;
      cookie = page.nextPageCookie ?? undefined;
    } while (cookie);
  }

  private async parentGroups(id: string, isUser: boolean): Promise<api.OtdsGroup[]> {
    const groups: api.OtdsGroup[] = [];
    for await (const page of this.pages<api.OtdsGroupList>(isUser ? api.userMemberOfPath(id) : api.groupMemberOfPath(id))) groups.push(...(page.groups ?? []));
    return groups;
  }

  private async toPerson(user: api.OtdsUser): Promise<Person> {
    const bag: AttributeBag = new Map();
    for (const v of user.values ?? []) if (v.values && v.values.length > 0) bag.set(v.name.toLowerCase(), v.values.map(String));
    bag.set('uuid', [user.uuid]);
    if (!bag.has(this.mapping.username.toLowerCase())) bag.set(this.mapping.username.toLowerCase(), [user.name]);
    const person = this.mapper.map(bag, { anchor: user.uuid, dn: user.location ?? user.id, fallbackUsername: user.name });
    person.groups = await resolveGroupNames(user.id, this.config.nestingDepth, async (id) =>
      (await this.parentGroups(id, id === user.id)).map((g) => ({ dn: g.id, name: g.name })),
    );
    return person;
  }

  private inPartition(user: api.OtdsUser): boolean {
    return !this.config.partition || user.userPartitionID === this.config.partition;
  }

  async getPerson(anchor: string): Promise<Person | null> {
    for await (const user of this.users()) if (user.uuid === anchor) return this.toPerson(user);
    return null;
  }

  async findPerson(query: { username?: string; email?: string }): Promise<Person | null> {
    const wantedName = query.username?.toLowerCase();
    const wantedMail = query.email?.toLowerCase();
    for await (const user of this.users()) {
      const mail = user.values?.find((v) => v.name.toLowerCase() === 'mail')?.values?.[0]?.toLowerCase();
      if ((wantedName && user.name.toLowerCase() === wantedName) || (wantedMail && mail === wantedMail)) return this.toPerson(user);
    }
    return null;
  }

  private async *users(): AsyncIterable<api.OtdsUser> {
    for await (const page of this.pages<api.OtdsUserList>(api.USERS_PATH, { [api.PARTITION_PARAM]: this.config.partition })) {
      for (const user of page.users ?? []) if (this.inPartition(user)) yield user;
    }
  }

  async *listPeople(): AsyncIterable<Person> {
    for await (const user of this.users()) yield await this.toPerson(user);
  }

  async *listAnchors(): AsyncIterable<string> {
    for await (const user of this.users()) yield user.uuid;
  }

  async groupMemberAnchors(groupName: string): Promise<string[]> {
    const anchors = new Set<string>();
    const seen = new Set<string>();
    let frontier: string[] = [];
    for await (const page of this.pages<api.OtdsGroupList>(api.GROUPS_PATH, { [api.PARTITION_PARAM]: this.config.partition })) {
      frontier.push(...(page.groups ?? []).filter((g) => g.name === groupName).map((g) => g.id));
    }
    for (let level = 0; level <= this.config.nestingDepth && frontier.length > 0; level++) {
      const next: string[] = [];
      for (const id of frontier) {
        if (seen.has(id)) continue;
        seen.add(id);
        for await (const page of this.pages<api.OtdsMemberList>(api.groupMembersPath(id))) {
          for (const user of page.users ?? []) if (this.inPartition(user)) anchors.add(user.uuid);
          next.push(...(page.groups ?? []).map((g) => g.id));
        }
      }
      frontier = next;
    }
    return [...anchors].sort();
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
    this.ticket = null;
  }
}
