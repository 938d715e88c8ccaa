/**
 * The resource operations behind /Users and /Groups: every write is validated whole (validate.ts,
 * patch.ts), checked against the rest of the store (userName uniqueness, members that exist, the
 * client's If-Match), and only then committed as one store change, so a refused request leaves the
 * store exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { invalidValue, notFound, ScimError } from './errors';
import { GROUP_FILTER_PATHS, USER_FILTER_PATHS, isCaseExact, matches, parseFilter } from './filter';
import { applyPatch } from './patch';
import { RESOURCE_TYPES, type ResourceKind } from './schema';
import { etagOf } from './render';
import type { Change, ScimStore, StoredResource } from './store';
import { validateResource, type Json } from './validate';

/**
 * What one request does to one user, as the identity-event side sees it: the user's attributes
 * and group names before and after (null: absent). A group write is one UserWrite per member
 * whose groups it changes.
 */
export interface UserWrite {
  id: string;
  before: Json | null;
  after: Json | null;
  groupsBefore: string[];
  groupsAfter: string[];
  /** Identifies the stored state the write starts from (a retry of the same request has the same). */
  basis: string;
}

/**
 * Asked after a request is validated and before it is committed (the alongside-LDAP mode delivers
 * identity events here). Throwing a ScimError refuses the request with nothing stored; `held`
 * means the change is stored but the access it cuts waits for the mass-change guard.
 */
export type BeforeUserCommit = (writes: UserWrite[]) => Promise<{ held?: { batchId: string; reason: string } } | void>;

export interface WriteResult {
  resource: StoredResource | null;
  held?: { batchId: string; reason: string };
}

/** If-Match (RFC 7644 §3.14): a stale version is 412 Precondition Failed; "*" matches any. */
export function checkIfMatch(header: string | undefined, current: StoredResource): void {
  if (header === undefined) return;
  const wanted = header.split(',').map((v) => v.trim());
  if (wanted.includes('*') || wanted.includes(etagOf(current)) || wanted.includes(etagOf(current).slice(2))) return;
  throw new ScimError(412, `the resource has changed; its version is now ${etagOf(current)}`);
}

export class ResourceService {
  constructor(
    private readonly store: ScimStore,
    private readonly beforeUserCommit?: BeforeUserCommit,
  ) {}

  /** Writes wait for each other: validation, the guard's answer and the commit of one request see no other request's half. */
  private queue: Promise<unknown> = Promise.resolve();
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  get(kind: ResourceKind, id: string): StoredResource {
    const resource = this.store.get(kind, id);
    if (!resource) throw notFound(`${kind} ${JSON.stringify(id.slice(0, 80))}`);
    return resource;
  }

  list(kind: ResourceKind, filter: string | null): StoredResource[] {
    const all = this.store.list(kind);
    if (filter === null || filter.trim() === '') return all;
    const comparisons = parseFilter(filter, kind === 'User' ? USER_FILTER_PATHS : GROUP_FILTER_PATHS);
    return all.filter((r) => matches({ id: r.id, ...r.body }, comparisons, isCaseExact));
  }

  /** Users and groups together; the filter may use what either type can be filtered on. */
  listAll(filter: string | null): StoredResource[] {
    const all = [...this.store.list('User'), ...this.store.list('Group')];
    if (filter === null || filter.trim() === '') return all;
    const comparisons = parseFilter(filter, [...new Set([...USER_FILTER_PATHS, ...GROUP_FILTER_PATHS])]);
    return all.filter((r) => matches({ id: r.id, ...r.body }, comparisons, isCaseExact));
  }

  private checkUserName(body: Json, selfId?: string): void {
    const wanted = String(body.userName).toLowerCase();
    const taken = this.store.list('User').some((u) => u.id !== selfId && String(u.body.userName).toLowerCase() === wanted);
    if (taken) throw new ScimError(409, 'userName is already taken by another user', 'uniqueness');
  }

  private checkMembers(body: Json, selfId: string): void {
    for (const [i, member] of ((body.members as Json[] | undefined) ?? []).entries()) {
      const id = typeof member.value === 'string' ? member.value : '';
      if (id === selfId) throw invalidValue(`members[${i}] is the group itself`);
      if (!this.store.get('User', id) && !this.store.get('Group', id)) throw invalidValue(`members[${i}].value does not name a User or Group here`);
    }
  }

  private checked(kind: ResourceKind, body: Json, id: string): Json {
    if (kind === 'User') this.checkUserName(body, id);
    else this.checkMembers(body, id);
    return body;
  }

  /** Every user whose attributes or groups this request changes, before and after. */
  private userWrites(kind: ResourceKind, id: string, before: StoredResource | null, after: Json | null, extra: Change[]): UserWrite[] {
    const groupChanges = new Map<string, Json | null>([...extra, ...(kind === 'Group' ? [{ kind, id, body: after }] : [])].filter((c) => c.kind === 'Group').map((c) => [c.id, c.body]));
    const writes: UserWrite[] = [];
    if (kind === 'User') {
      writes.push({ id, before: before?.body ?? null, after, groupsBefore: this.store.groupNamesWith(id), groupsAfter: after ? this.store.groupNamesWith(id, groupChanges) : [], basis: `user:${before?.seq ?? 0}` });
      return writes;
    }
    const affected = new Set<string>();
    for (const [groupId, body] of groupChanges) {
      for (const user of [...this.store.membersOf(this.store.get('Group', groupId)?.body ?? {}), ...this.store.membersOf(body ?? {})]) affected.add(user);
    }
    for (const userId of affected) {
      const groupsBefore = this.store.groupNamesWith(userId);
      const groupsAfter = this.store.groupNamesWith(userId, groupChanges);
      if (groupsBefore.join('\n') === groupsAfter.join('\n')) continue;
      const body = this.store.get('User', userId)!.body;
      writes.push({ id: userId, before: body, after: body, groupsBefore, groupsAfter, basis: `group:${id}:${before?.seq ?? 0}` });
    }
    return writes;
  }

  private async commit(kind: ResourceKind, id: string, before: StoredResource | null, after: Json | null, extra: Change[] = []): Promise<WriteResult> {
    const verdict = this.beforeUserCommit ? await this.beforeUserCommit(this.userWrites(kind, id, before, after, extra)) : undefined;
    const written = this.store.commit([{ kind, id, body: after }, ...extra]);
    return { resource: after ? written[0]! : null, ...(verdict?.held ? { held: verdict.held } : {}) };
  }

  create(kind: ResourceKind, body: unknown): Promise<WriteResult> {
    return this.serialised(async () => {
      const id = randomUUID();
      return this.commit(kind, id, null, this.checked(kind, validateResource(RESOURCE_TYPES[kind], body), id));
    });
  }

  replace(kind: ResourceKind, id: string, body: unknown, ifMatch?: string): Promise<WriteResult> {
    return this.serialised(async () => {
      const current = this.get(kind, id);
      checkIfMatch(ifMatch, current);
      return this.commit(kind, id, current, this.checked(kind, validateResource(RESOURCE_TYPES[kind], body), id));
    });
  }

  patch(kind: ResourceKind, id: string, body: unknown, ifMatch?: string): Promise<WriteResult> {
    return this.serialised(async () => {
      const current = this.get(kind, id);
      checkIfMatch(ifMatch, current);
      return this.commit(kind, id, current, this.checked(kind, applyPatch(RESOURCE_TYPES[kind], current.body, body), id));
    });
  }

  /** Deleting a user or group also takes it out of every group it was a member of, in the same commit. */
  delete(kind: ResourceKind, id: string, ifMatch?: string): Promise<WriteResult> {
    return this.serialised(async () => {
      const current = this.get(kind, id);
      checkIfMatch(ifMatch, current);
      const memberships: Change[] = this.store
        .list('Group')
        .filter((g) => g.id !== id && ((g.body.members as Json[] | undefined) ?? []).some((m) => m.value === id))
        .map((g) => ({ kind: 'Group', id: g.id, body: { ...g.body, members: (g.body.members as Json[]).filter((m) => m.value !== id) } }));
      for (const change of memberships) if ((change.body!.members as Json[]).length === 0) delete change.body!.members;
      return this.commit(kind, id, current, null, memberships);
    });
  }
}
