/**
 * Directory groups as objects: the watcher's group snapshot (in its state generations, never in
 * history) and the events it emits per group: appeared in scope, renamed (same anchor, new name),
 * members changed, removed (deleted or out of scope). Removals cut access in the targets that sync
 * groups, so they pass through the one mass-change guard as source "groups", one count per group;
 * held removals wait in the same batch as held leavers, for the same operator decision.
 */
import { createHash } from 'node:crypto';
import type { DirectoryGroup } from '../source';
import { guardReason, holdInBatch, recheckReason, rejectionExpired, shrunkScanReason, windowAfterRelease } from './guard';
import type { Hold, PollerDeps } from './poller';
import type { GroupEvent, GroupEventKind, GroupSnapshotEntry, HeldGroupEvent, PendingBatch, WatcherState } from './types';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function membersFingerprint(memberAnchors: string[]): string {
  return sha([...memberAnchors].sort().join('\n')).slice(0, 24);
}

/** Same group, same event count, same kind, same resulting state -> same id, whichever poll computes it. */
export function groupEventIdFor(anchor: string, version: number, kind: GroupEventKind, state: string): string {
  return `group-${kind}-${sha(`${anchor}\n${version}\n${kind}\n${state}`).slice(0, 32)}`;
}

/** What one group scan found: events to deliver now, removals for the guard, snapshot entries to write. */
export interface GroupScan {
  events: GroupEvent[];
  removals: HeldGroupEvent[];
  updates: Map<string, GroupSnapshotEntry>;
  /** Held removals whose group is back in the directory: they leave the batch. */
  back: Set<string>;
  scanned: number;
}

export interface GroupPollResult {
  hold: Hold;
  events: GroupEvent[];
  /** The next group snapshot, or null when nothing in it changed. */
  snapshot: Record<string, GroupSnapshotEntry> | null;
}

function activeGroups(state: WatcherState): number {
  return Object.values(state.groups ?? {}).filter((g) => !g.gone && !g.hold).length;
}

/** Classifies every group in scope against the snapshot. `silent`: record only (the first scan with `baseline: silent`). */
export function classifyGroups(deps: PollerDeps, state: WatcherState, groups: DirectoryGroup[], nowIso: string, silent: boolean): GroupScan {
  const previous = state.groups ?? {};
  const scan: GroupScan = { events: [], removals: [], updates: new Map(), back: new Set(), scanned: groups.length };
  const seen = new Set<string>();
  const event = (kind: GroupEventKind, group: { anchor: string; name: string }, v: number, fp: string, reason: string, members: number, previousName?: string): GroupEvent => ({
    eventId: groupEventIdFor(group.anchor, v, kind, `${group.name}\n${fp}`),
    kind,
    anchor: group.anchor,
    name: group.name,
    ...(previousName ? { previousName } : {}),
    members,
    observedAt: nowIso,
    reason,
  });
  for (const group of groups) {
    if (seen.has(group.anchor)) continue;
    seen.add(group.anchor);
    const fp = membersFingerprint(group.memberAnchors);
    let before = previous[group.anchor];
    if (before?.hold) {
      if (before.hold === 'pending') scan.back.add(group.anchor);
      before = { ...before, hold: undefined, keptSince: undefined };
      scan.updates.set(group.anchor, before);
    }
    const v = before?.v ?? 0;
    const entry: GroupSnapshotEntry = { name: group.name, fp, v };
    let kind: GroupEventKind | null = null;
    let reason = '';
    if (!before || before.gone) [kind, reason] = ['appeared', before ? 'back in scope' : 'new in scope'];
    else if (before.name !== group.name) [kind, reason] = ['renamed', 'renamed in the directory'];
    else if (before.fp !== fp) [kind, reason] = ['membersChanged', 'members changed'];
    if (kind && !silent) {
      scan.events.push(event(kind, group, v + 1, fp, reason, group.memberAnchors.length, kind === 'renamed' ? before!.name : undefined));
      scan.updates.set(group.anchor, { ...entry, v: v + 1 });
    } else if (!before || before.name !== group.name || before.fp !== fp || before.gone) {
      scan.updates.set(group.anchor, entry);
    }
  }
  for (const [anchor, before] of Object.entries(previous)) {
    if (seen.has(anchor) || before.gone) continue;
    if (before.hold && !rejectionExpired(before, deps.settings.guard, nowIso)) continue;
    const removed = event('removed', { anchor, name: before.name }, before.v + 1, `gone:${before.fp}`, 'deleted or out of scope', 0);
    scan.removals.push({ event: removed, ...(before.hold === 'kept' ? { recheck: true } : {}) });
  }
  return scan;
}

/** The snapshot entry of a group whose removal was released. */
export function removedGroupEntry(before: GroupSnapshotEntry | undefined, held: HeldGroupEvent): GroupSnapshotEntry {
  return { name: held.event.name, fp: before?.fp ?? '', v: (before?.v ?? 0) + 1, gone: true };
}

/** Held group removals whose group came back leave the batch; a batch with nothing left is cleared. */
async function withoutReturnedGroups(deps: PollerDeps, pending: PendingBatch | null, back: Set<string>): Promise<PendingBatch | null> {
  if (!pending?.groups || back.size === 0) return pending;
  const groups = pending.groups.filter((g) => !back.has(g.event.anchor));
  if (groups.length === pending.groups.length) return pending;
  if (groups.length > 0 || pending.held.length > 0 || (pending.requests ?? []).length > 0) return { ...pending, groups };
  await deps.audit.append({ actor: 'idsync', action: 'guard-clear', rule: 'mass-change-guard', reason: 'every held group is back in the directory', key: `${pending.id}-clear-groups` });
  return null;
}

/**
 * The mass-change guard on this scan's group removals: with a batch pending they join it; too many
 * of them (counted with everything released in the window, and per source "groups"), or a scan that
 * suddenly returns far fewer groups than the snapshot, make a new held batch; otherwise they flow.
 */
async function guardRemovals(deps: PollerDeps, state: WatcherState, scan: GroupScan, hold: Hold, nowIso: string): Promise<{ hold: Hold; released: GroupEvent[] }> {
  const removals = scan.removals;
  if (removals.length === 0) return { hold, released: [] };
  const g = deps.settings.guard;
  const windowState: WatcherState = { ...state, released: hold.released ?? state.released };
  const emptied = shrunkScanReason(g, 'groups', scan.scanned, activeGroups(state));
  const rechecks = removals.filter((r) => r.recheck).length;
  const reason = hold.pending?.reason ?? emptied ?? (rechecks > 0 ? recheckReason(g, rechecks) : guardReason(deps.settings, windowState, 'groups', removals.length, nowIso));
  if (!reason) {
    for (const r of removals) scan.updates.set(r.event.anchor, removedGroupEntry(state.groups?.[r.event.anchor], r));
    return { hold: { ...hold, released: windowAfterRelease(windowState, g, 'groups', removals.length, nowIso) }, released: removals.map((r) => r.event) };
  }
  const joined = hold.pending;
  const already = new Set((joined?.groups ?? []).map((h) => h.event.anchor));
  const newcomers = removals.filter((r) => !already.has(r.event.anchor));
  if (newcomers.length === 0) return { hold, released: [] };
  const pending = await holdInBatch(deps, { joined, reason, ids: newcomers.map((r) => r.event.eventId), nowIso }, (batch) => ({ ...batch, groups: [...(batch.groups ?? []), ...newcomers] }), {
    joining: `${newcomers.length} group deletion(s) join`,
    after: { groups: newcomers.length, source: 'groups' },
  });
  for (const r of newcomers) scan.updates.set(r.event.anchor, { ...state.groups![r.event.anchor]!, hold: 'pending', keptSince: undefined });
  return { hold: { ...hold, pending }, released: [] };
}

/**
 * One group scan when it is due (every presence or full scan, a poll whose changes touched a group
 * entry, or the first poll that tracks groups): classify, guard the removals, and return the events
 * to deliver and the next snapshot. Without group delivery (no target syncs groups) or a source
 * that lists groups, nothing is read and nothing changes.
 */
export async function pollGroups(deps: PollerDeps, state: WatcherState, hold: Hold, due: boolean, silent: boolean, nowIso: string): Promise<GroupPollResult> {
  const unchanged = { hold, events: [], snapshot: null };
  if (!deps.deliverGroups || !deps.source.listGroups) return unchanged;
  if (!due && state.groups !== undefined) return unchanged;
  const groups = await deps.source.listGroups();
  const scan = classifyGroups(deps, state, groups, nowIso, silent || (state.groups === undefined && deps.settings.baseline === 'silent'));
  const pending = await withoutReturnedGroups(deps, hold.pending, scan.back);
  const guarded = await guardRemovals(deps, state, scan, { ...hold, pending }, nowIso);
  if (scan.updates.size === 0 && state.groups !== undefined) return { hold: guarded.hold, events: [...scan.events, ...guarded.released], snapshot: null };
  const snapshot = { ...(state.groups ?? {}) };
  for (const [anchor, entry] of scan.updates) snapshot[anchor] = entry;
  return { hold: guarded.hold, events: [...scan.events, ...guarded.released], snapshot };
}
