import type { IdentityEvent, Person } from '../../domain/person';
import type { AuditSink } from '../../audit/types';
import type { WatcherSettings } from '../config';
import type { DirectorySource } from '../source';
import { buildEvent, classifyPresent, fingerprint } from './classify';
import { guardReason, holdInBatch, outcome, recheckReason, rejectionExpired, releasedEntry, windowAfterRelease } from './guard';
import { pollGroups } from './groups';
import type { WatcherStateStore } from './state-store';
import type { GroupEvent, GroupSnapshotEntry, HeldEvent, PendingBatch, PollOutcome, ReleasedRecord, SnapshotEntry, WatcherState } from './types';

const PRESENCE_DUTY_FACTOR = 5;

export interface PollerDeps {
  source: DirectorySource;
  store: WatcherStateStore;
  settings: WatcherSettings;
  /** Starts/signals the person workflows; must be idempotent per eventId (signalWithStart + dedupe there). */
  deliver(events: IdentityEvent[]): Promise<void>;
  /** Starts/signals the group workflows (idempotent per eventId); absent: no target syncs groups, so none are tracked. */
  deliverGroups?(events: GroupEvent[]): Promise<void>;
  audit: AuditSink;
  eventSource: IdentityEvent['source'];
  now?: () => number;
}

/** One poll's bookkeeping: events to deliver now, leavers for the guard, snapshot writes to apply after delivery. */
class PollWork {
  readonly events: IdentityEvent[] = [];
  readonly leavers: HeldEvent[] = [];
  readonly updates = new Map<string, SnapshotEntry>();
  readonly considered = new Set<string>();
  /** Looked up by anchor and not found: gone only if a presence scan in this same poll agrees. */
  readonly notFound = new Set<string>();
  /** Anchors already judged removed in this poll. */
  private readonly removed = new Set<string>();
  heldCameBack: string[] = [];
  private readonly heldRemovals: Set<string>;

  constructor(
    readonly state: WatcherState,
    readonly deps: PollerDeps,
    readonly observedAt: string,
    readonly silent: boolean,
  ) {
    this.heldRemovals = new Set((state.pending?.held ?? []).filter((h) => h.fp === null && !h.external).map((h) => h.event.anchor));
  }

  private event(kind: IdentityEvent['kind'], anchor: string, version: number, fp: string, reason: string, person?: Person): IdentityEvent {
    return buildEvent(kind, anchor, version, fp, reason, this.deps.eventSource, person, this.observedAt);
  }

  consider(person: Person): void {
    if (this.considered.has(person.anchor)) return;
    this.considered.add(person.anchor);
    let previous = this.state.people[person.anchor];
    const fp = fingerprint(person);
    if (previous?.hold) {
      if (previous.hold === 'pending' && !person.enabled) return; // the operator is still deciding
      if (previous.hold === 'pending') this.heldCameBack.push(person.anchor);
      previous = { ...previous, hold: undefined, keptSince: undefined };
      this.updates.set(person.anchor, previous);
    }
    const version = previous?.v ?? 0;
    const entry: SnapshotEntry = { fp, enabled: person.enabled, v: version, groups: person.groups };
    const verdict = this.silent ? { kind: null, reason: 'baseline' } : classifyPresent(previous, person, fp);
    if (verdict.kind === 'leaver') {
      this.leavers.push({ event: this.event('leaver', person.anchor, version + 1, fp, verdict.reason, person), fp, groups: person.groups });
    } else if (verdict.kind) {
      this.events.push(this.event(verdict.kind, person.anchor, version + 1, fp, verdict.reason, person));
      this.updates.set(person.anchor, { ...entry, v: version + 1 });
    } else if (!previous || previous.fp !== fp || previous.enabled !== person.enabled || previous.gone) {
      this.updates.set(person.anchor, entry);
    }
  }

  /** A held person a presence scan found again: the removal that held them no longer holds. */
  present(anchor: string, entry: SnapshotEntry): void {
    if (entry.gone) return;
    if (entry.hold === 'pending') {
      if (!this.heldRemovals.has(anchor)) return; // held for being disabled, not for being missing
      this.heldCameBack.push(anchor);
    }
    this.updates.set(anchor, { ...entry, hold: undefined, keptSince: undefined });
  }

  removal(anchor: string): void {
    const previous = this.state.people[anchor];
    // A proven deletion (removedAnchors) and the presence scan of the same poll both report it: one leaver.
    if (!previous || previous.gone || this.considered.has(anchor) || this.removed.has(anchor)) return;
    this.removed.add(anchor);
    if (previous.hold && !rejectionExpired(previous, this.deps.settings.guard, this.observedAt)) return;
    if (!previous.enabled) {
      this.updates.set(anchor, { ...previous, gone: true });
      return;
    }
    const fp = `gone:${previous.fp}`;
    const recheck = previous.hold === 'kept';
    this.leavers.push({ event: this.event('leaver', anchor, previous.v + 1, fp, 'entry deleted or out of scope'), fp: null, groups: [], ...(recheck ? { recheck } : {}) });
  }
}

async function readEveryone(deps: PollerDeps, work: PollWork): Promise<Set<string>> {
  const seen = new Set<string>();
  for await (const person of deps.source.listPeople()) {
    seen.add(person.anchor);
    work.consider(person);
  }
  return seen;
}

async function readAnchors(source: DirectorySource): Promise<Set<string>> {
  const seen = new Set<string>();
  if (source.listAnchors) for await (const anchor of source.listAnchors()) seen.add(anchor);
  else for await (const person of source.listPeople()) seen.add(person.anchor);
  return seen;
}

function due(last: string | null, intervalMs: number, now: number): boolean {
  return !last || now - Date.parse(last) >= intervalMs;
}

/** What one poll read from the directory. */
interface PollRead {
  nextCursor: string;
  /** Every anchor in scope when this poll scanned the directory; null when it only read changes. */
  seen: Set<string> | null;
  /** Scan times (and the emptied deferred list) to record in the next state. */
  scans: Partial<WatcherState>;
  /** A group entry changed since the cursor: the groups are read again this poll. */
  groupsChanged?: boolean;
}

/** Baseline or periodic full scan: everyone is classified, and whoever is missing has left. */
async function readFullScan(deps: PollerDeps, work: PollWork, nowIso: string): Promise<PollRead> {
  const { source } = deps;
  const nextCursor = source.currentCursor ? await source.currentCursor() : (await source.changesSince(null)).cursor;
  const seen = await readEveryone(deps, work);
  return { nextCursor, seen, scans: { lastFullScanAt: nowIso, lastPresenceScanAt: nowIso } };
}

/**
 * Reads one person again. Not finding them by anchor is not proof that they left (a lookup that
 * silently matches nobody, as a binary objectGUID filter once did on AD, would deprovision people
 * who are still there): the presence scan this poll then runs decides.
 */
async function recheck(source: DirectorySource, work: PollWork, anchor: string): Promise<void> {
  const person = await source.getPerson(anchor);
  if (person) work.consider(person);
  else work.notFound.add(anchor);
}

/** A changed group changes its former members too; the snapshot remembers who they were. */
async function recheckFormerMembers(source: DirectorySource, state: WatcherState, work: PollWork, changedGroups: string[]): Promise<void> {
  const groups = new Set(changedGroups);
  if (groups.size === 0) return;
  for (const [anchor, entry] of Object.entries(state.people)) {
    if (entry.gone || work.considered.has(anchor) || !entry.groups.some((g) => groups.has(g))) continue;
    await recheck(source, work, anchor);
  }
}

/** Anchors only, when a presence scan is due (or `needed` to confirm an absence); null otherwise. */
async function presenceScanIfDue(deps: PollerDeps, state: WatcherState, now: number, nowIso: string, needed: boolean): Promise<{ seen: Set<string>; scans: Partial<WatcherState> } | null> {
  // A scan that takes long (100k people: ~2 s) is spaced out so it never takes more than a
  // fifth of the watcher's time; small directories get the configured interval.
  const presenceInterval = Math.max(deps.settings.presenceScanInterval, PRESENCE_DUTY_FACTOR * (state.lastPresenceScanMs ?? 0));
  if (!needed && !due(state.lastPresenceScanAt, presenceInterval, now)) return null;
  const started = Date.now();
  const seen = await readAnchors(deps.source);
  return { seen, scans: { lastPresenceScanAt: nowIso, lastPresenceScanMs: Date.now() - started } };
}

/** Between scans: what changed since the cursor, group members, deferred leavers, and a presence scan when due. */
async function readChanges(deps: PollerDeps, state: WatcherState, work: PollWork, now: number, nowIso: string): Promise<PollRead> {
  const { source } = deps;
  const changes = await source.changesSince(state.cursor);
  for (const person of changes.changed) work.consider(person);
  await recheckFormerMembers(source, state, work, changes.changedGroups ?? []);
  for (const anchor of changes.removedAnchors) work.removal(anchor);
  let scans: Partial<WatcherState> = {};
  if (!state.pending && state.deferred.length > 0) {
    for (const anchor of state.deferred) await recheck(source, work, anchor);
    scans.deferred = [];
  }
  const presence = await presenceScanIfDue(deps, state, now, nowIso, work.notFound.size > 0);
  if (presence) scans = { ...scans, ...presence.scans };
  return { nextCursor: changes.cursor, seen: presence?.seen ?? null, scans, groupsChanged: (changes.changedGroups ?? []).length > 0 };
}

/** Whoever a scan did not see has left; a held person it did see is back. */
function judgeAgainstScan(state: WatcherState, work: PollWork, seen: Set<string>): void {
  for (const [anchor, entry] of Object.entries(state.people)) {
    if (!seen.has(anchor)) work.removal(anchor);
    else if (entry.hold && !work.considered.has(anchor)) work.present(anchor, entry);
  }
}

/** Held people who came back no longer wait for the operator; a batch with nobody left is cleared. */
async function withoutReturnedHeld(deps: PollerDeps, pending: PendingBatch | null, work: PollWork): Promise<PendingBatch | null> {
  if (!pending || work.heldCameBack.length === 0) return pending;
  const back = new Set(work.heldCameBack);
  const remaining = pending.held.filter((h) => h.external || !back.has(h.event.anchor));
  if (remaining.length > 0 || (pending.requests ?? []).length > 0 || (pending.groups ?? []).length > 0) return { ...pending, held: remaining };
  await deps.audit.append({ actor: 'idsync', action: 'guard-clear', rule: 'mass-change-guard', reason: 'every held person is back in the directory', key: `${pending.id}-clear` });
  return null;
}

export type Hold = { pending: PendingBatch | null; deferred: string[]; released?: ReleasedRecord[] };

/**
 * The mass-change guard (guard.ts) on this poll's leavers: with a batch pending they join it; too
 * many of them, counted with everything released in the window, become a new held batch; otherwise
 * they flow with the other events. Removals rejected earlier and still gone are always held again.
 */
async function guardLeavers(deps: PollerDeps, state: WatcherState, work: PollWork, hold: Hold, scanned: number | null, nowIso: string): Promise<Hold> {
  const leavers = work.leavers;
  if (leavers.length === 0) return hold;
  const rechecks = leavers.filter((l) => l.recheck).length;
  const reason =
    hold.pending?.reason ?? (rechecks > 0 ? recheckReason(deps.settings.guard, rechecks) : guardReason(deps.settings, state, 'watcher', leavers.length, nowIso, scanned));
  if (!reason) {
    for (const l of leavers) {
      work.events.push(l.event);
      work.updates.set(l.event.anchor, releasedEntry(state.people[l.event.anchor], l));
    }
    return { ...hold, released: windowAfterRelease(state, deps.settings.guard, 'watcher', leavers.length, nowIso) };
  }
  const joined = hold.pending;
  const already = new Set((joined?.held ?? []).map((h) => h.event.anchor));
  const newcomers = leavers.filter((l) => !already.has(l.event.anchor));
  if (newcomers.length === 0) return hold;
  const pending = await holdInBatch(deps, { joined, reason, ids: newcomers.map((l) => l.event.eventId), nowIso }, (batch) => ({ ...batch, held: [...batch.held, ...newcomers] }), {
    joining: `${newcomers.length} more leaver(s) from the watcher join`,
    after: { leavers: newcomers.length, source: 'watcher' },
  });
  for (const l of newcomers) work.updates.set(l.event.anchor, { ...state.people[l.event.anchor]!, hold: 'pending' });
  return { pending, deferred: hold.deferred };
}

/** Writes the next generation when anything moved; a quiet poll writes nothing. */
function saveIfChanged(
  deps: PollerDeps,
  state: WatcherState,
  work: PollWork,
  read: PollRead,
  hold: Hold,
  nowIso: string,
  groups: Record<string, GroupSnapshotEntry> | null,
): PollOutcome {
  const cursorMoved = read.nextCursor !== state.cursor;
  const changed =
    groups !== null || work.updates.size > 0 || cursorMoved || hold.pending !== state.pending || hold.deferred !== state.deferred || hold.released !== undefined || Object.keys(read.scans).length > 0;
  if (!changed) return outcome(state, deps.settings, 0, nowIso);
  const people = work.updates.size > 0 ? { ...state.people } : state.people;
  for (const [anchor, entry] of work.updates) people[anchor] = entry;
  const next = deps.store.save(
    {
      ...state,
      people,
      ...read.scans,
      deferred: hold.deferred,
      pending: hold.pending,
      ...(hold.released ? { released: hold.released } : {}),
      ...(groups ? { groups } : {}),
      cursor: read.nextCursor,
      cursorAdvancedAt: cursorMoved ? nowIso : state.cursorAdvancedAt,
      lastPollAt: nowIso,
    },
    state.generation,
  );
  return outcome(next, deps.settings, work.events.length, nowIso);
}

/**
 * One watcher poll: read changes (or a scan when due), classify against the snapshot, hold mass
 * leavers, deliver the rest, then write the next state generation. Delivery happens before the
 * write, so a crash in between repeats the same events with the same ids (the receiver de-duplicates).
 */
export async function pollOnce(deps: PollerDeps, generation: number | null): Promise<PollOutcome> {
  const state = deps.store.load(generation);
  const now = (deps.now ?? Date.now)();
  const nowIso = new Date(now).toISOString();
  const baseline = state.cursor === null;
  const work = new PollWork(state, deps, nowIso, baseline && deps.settings.baseline === 'silent');
  const read = baseline || due(state.lastFullScanAt, deps.settings.fullScanInterval, now) ? await readFullScan(deps, work, nowIso) : await readChanges(deps, state, work, now, nowIso);
  if (read.seen) judgeAgainstScan(state, work, read.seen);
  const stillHeld = { pending: await withoutReturnedHeld(deps, state.pending, work), deferred: read.scans.deferred ?? state.deferred };
  const held = await guardLeavers(deps, state, work, stillHeld, read.seen ? read.seen.size : null, nowIso);
  const groups = await pollGroups(deps, state, held, read.seen !== null || read.groupsChanged === true, work.silent, nowIso);
  if (work.events.length > 0) await deps.deliver(work.events);
  if (groups.events.length > 0) await deps.deliverGroups!(groups.events);
  return saveIfChanged(deps, state, work, read, groups.hold, nowIso, groups.snapshot);
}
