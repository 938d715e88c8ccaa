/**
 * The durable store behind idsync's SCIM endpoint, owned by exactly one process. Every write is one
 * line appended to `scim-store.jsonl` in the state directory and fsynced before the client gets
 * its answer, holding every resource the request changed: a request is on disk entirely or not at
 * all (a torn last line from a crash is cut off at the next open). Opening replays the log and,
 * when it has grown well past what it describes, rewrites it as one snapshot line atomically.
 *
 * A global sequence number orders every change; it is each resource's ETag and the cursor of the
 * change feed the directory source reads (changesSince).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../lib/atomic-file';
import type { ResourceKind } from './schema';
import type { Json } from './validate';

export interface StoredResource {
  kind: ResourceKind;
  id: string;
  /** Sequence number of the change that wrote this version (the ETag is W/"seq"). */
  seq: number;
  created: string;
  lastModified: string;
  /** The validated attributes (validate.ts), without id and meta. */
  body: Json;
}

export interface Change {
  kind: ResourceKind;
  id: string;
  /** null deletes. */
  body: Json | null;
}

interface StoredChange {
  kind: ResourceKind;
  id: string;
  resource: StoredResource | null;
}

interface Snapshot {
  users: StoredResource[];
  groups: StoredResource[];
  removedUsers: [string, number][];
  removedGroups: [string, { seq: number; name: string }][];
  touched: [string, number][];
}

type LogLine = { seq: number; changes: StoredChange[] } | { seq: number; snapshot: Snapshot };

/** Users and groups changed (and removed) after a sequence number, for the directory source's change feed. */
export interface StoreChanges {
  cursor: number;
  users: StoredResource[];
  removedUsers: string[];
  changedGroups: string[];
}

export const STORE_FILE = 'scim-store.jsonl';
/** Groups inside groups count as membership this deep (as the LDAP source's default nestingDepth). */
export const NESTING_DEPTH = 5;

export class ScimStore {
  private readonly resources: Record<ResourceKind, Map<string, StoredResource>> = { User: new Map(), Group: new Map() };
  private readonly removedUsers = new Map<string, number>();
  private readonly removedGroups = new Map<string, { seq: number; name: string }>();
  /** Users whose group memberships changed, by the sequence number of that change. */
  private readonly touched = new Map<string, number>();
  private membership: Map<string, { id: string; name: string; direct: boolean }[]> | null = null;
  private seqValue = 0;
  private fd: number | null = null;

  private constructor(private readonly file: string) {}

  static open(stateDir: string): ScimStore {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const store = new ScimStore(join(stateDir, STORE_FILE));
    const lines = store.replay();
    if (lines > 1000 && lines > 2 * (store.resources.User.size + store.resources.Group.size)) store.compact();
    store.fd = openSync(store.file, 'a', 0o600);
    return store;
  }

  get seq(): number {
    return this.seqValue;
  }

  private replay(): number {
    if (!existsSync(this.file)) return 0;
    const text = readFileSync(this.file, 'utf8');
    let offset = 0;
    let count = 0;
    for (const line of text.split('\n')) {
      const end = offset + Buffer.byteLength(line) + 1;
      if (line.trim() !== '') {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          // Only the last line can be torn (a crash mid-append): cut it off so the next append starts clean.
          if (end < Buffer.byteLength(text)) throw new Error(`${this.file}: line ${count + 1} is damaged; the SCIM store cannot be read`);
          truncateSync(this.file, offset);
          break;
        }
        this.applyLine(parsed);
        count++;
      }
      offset = end;
    }
    return count;
  }

  private applyLine(line: LogLine): void {
    if ('snapshot' in line) {
      for (const r of [...line.snapshot.users, ...line.snapshot.groups]) this.resources[r.kind].set(r.id, r);
      for (const [id, seq] of line.snapshot.removedUsers) this.removedUsers.set(id, seq);
      for (const [id, removed] of line.snapshot.removedGroups) this.removedGroups.set(id, removed);
      for (const [id, seq] of line.snapshot.touched) this.touched.set(id, seq);
    } else {
      for (const change of line.changes) this.applyChange(change, line.seq);
    }
    this.seqValue = Math.max(this.seqValue, line.seq);
    this.membership = null;
  }

  private applyChange(change: StoredChange, seq: number): void {
    const map = this.resources[change.kind];
    const before = map.get(change.id);
    if (change.kind === 'Group') for (const user of this.usersUnder([before?.body, change.resource?.body])) this.touched.set(user, seq);
    if (change.resource) map.set(change.id, change.resource);
    else {
      map.delete(change.id);
      if (change.kind === 'User') this.removedUsers.set(change.id, seq);
      else this.removedGroups.set(change.id, { seq, name: String(before?.body.displayName ?? '') });
    }
    this.membership = null;
  }

  /** Every user in these group bodies, groups inside them followed to NESTING_DEPTH. */
  private usersUnder(bodies: (Json | undefined)[]): Set<string> {
    const users = new Set<string>();
    const seen = new Set<string>();
    let level = bodies.filter((b): b is Json => b !== undefined);
    for (let depth = 0; depth <= NESTING_DEPTH && level.length > 0; depth++) {
      const next: Json[] = [];
      for (const body of level) {
        for (const member of (body.members as Json[] | undefined) ?? []) {
          const id = String(member.value);
          if (this.resources.User.has(id) || this.removedUsers.has(id)) users.add(id);
          const group = this.resources.Group.get(id);
          if (group && !seen.has(id)) {
            seen.add(id);
            next.push(group.body);
          }
        }
      }
      level = next;
    }
    return users;
  }

  private compact(): void {
    const snapshot: Snapshot = {
      users: [...this.resources.User.values()],
      groups: [...this.resources.Group.values()],
      removedUsers: [...this.removedUsers],
      removedGroups: [...this.removedGroups],
      touched: [...this.touched],
    };
    writeFileAtomically(this.file, `${JSON.stringify({ seq: this.seqValue, snapshot })}\n`, `${this.file}.compact-tmp`);
  }

  get(kind: ResourceKind, id: string): StoredResource | undefined {
    return this.resources[kind].get(id);
  }

  list(kind: ResourceKind): StoredResource[] {
    return [...this.resources[kind].values()];
  }

  /**
   * Writes every change of one request as one fsynced log line, then applies them. Throws (and
   * changes nothing in memory) when the disk write fails.
   */
  commit(changes: Change[], now = new Date()): StoredResource[] {
    if (this.fd === null) throw new Error('the SCIM store is closed');
    const seq = this.seqValue + 1;
    const at = now.toISOString();
    const stored: StoredChange[] = changes.map((c) => {
      const previous = this.resources[c.kind].get(c.id);
      return { kind: c.kind, id: c.id, resource: c.body ? { kind: c.kind, id: c.id, seq, created: previous?.created ?? at, lastModified: at, body: c.body } : null };
    });
    writeSync(this.fd, `${JSON.stringify({ seq, changes: stored } satisfies LogLine)}\n`);
    fsyncSync(this.fd);
    this.applyLine({ seq, changes: stored });
    return stored.map((c) => c.resource).filter((r): r is StoredResource => r !== null);
  }

  /** The groups a user is in: direct members first, then groups holding those groups (RFC 7643 §4.1.2 "indirect"). */
  groupsOf(userId: string): { id: string; name: string; direct: boolean }[] {
    if (!this.membership) this.membership = this.buildMembership();
    return this.membership.get(userId) ?? [];
  }

  /**
   * The names of the groups a user is in (nested groups followed) if `overrides` replaced some
   * groups' bodies (null: deleted): what a pending group write would make of someone's groups.
   */
  groupNamesWith(userId: string, overrides: Map<string, Json | null> = new Map()): string[] {
    const bodies = new Map([...this.resources.Group].map(([id, g]): [string, Json | null] => [id, g.body]));
    for (const [id, body] of overrides) bodies.set(id, body);
    const containing = (memberId: string) =>
      [...bodies].filter(([, body]) => body !== null && ((body.members as Json[] | undefined) ?? []).some((m) => m.value === memberId)).map(([id]) => id);
    const found = new Set<string>(containing(userId));
    let level = [...found];
    for (let depth = 0; depth < NESTING_DEPTH && level.length > 0; depth++) {
      level = level.flatMap(containing).filter((id) => !found.has(id));
      for (const id of level) found.add(id);
    }
    return [...found].map((id) => String(bodies.get(id)!.displayName)).sort();
  }

  /** Users in a group body (nested groups followed), as usersUnder; for callers outside the store. */
  membersOf(body: Json): string[] {
    return [...this.usersUnder([body])].filter((id) => this.resources.User.has(id));
  }

  private buildMembership(): Map<string, { id: string; name: string; direct: boolean }[]> {
    const index = new Map<string, { id: string; name: string; direct: boolean }[]>();
    for (const group of this.resources.Group.values()) {
      const direct = new Set(((group.body.members as Json[] | undefined) ?? []).map((m) => String(m.value)));
      for (const user of this.usersUnder([group.body])) {
        const list = index.get(user) ?? [];
        list.push({ id: group.id, name: String(group.body.displayName), direct: direct.has(user) });
        index.set(user, list);
      }
    }
    return index;
  }

  /** Every group with the users in it, groups inside groups followed to NESTING_DEPTH (the directory view of groups). */
  directoryGroups(): { anchor: string; name: string; memberAnchors: string[] }[] {
    return this.list('Group').map((g) => ({
      anchor: g.id,
      name: String(g.body.displayName),
      memberAnchors: [...this.usersUnder([g.body])].filter((id) => this.resources.User.has(id)).sort(),
    }));
  }

  changesSince(since: number): StoreChanges {
    const from = since > this.seqValue ? 0 : since; // a store reset behind the cursor: report everything again
    const users = this.list('User').filter((u) => u.seq > from || (this.touched.get(u.id) ?? 0) > from);
    const removedUsers = [...this.removedUsers].filter(([, seq]) => seq > from).map(([id]) => id);
    const changedGroups = [
      ...this.list('Group').filter((g) => g.seq > from).map((g) => String(g.body.displayName)),
      ...[...this.removedGroups.values()].filter((g) => g.seq > from).map((g) => g.name),
    ];
    return { cursor: this.seqValue, users, removedUsers, changedGroups };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
