/**
 * The one mass-change guard, in front of every path that cuts access: the watcher's own leavers, the
 * intake's leavers, reconciliation's corrections and suspensions (and access-review revocations).
 * Its state lives in the watcher's state generations (never in workflow history), and the watcher
 * workflow applies every poll, admission and decision one at a time, so the sliding window, the held
 * batch and the rejected removals have exactly one owner. Leavers and suspensions released without an
 * operator are counted over a sliding window, per source and in total; once the guard trips,
 * everything that arrives joins the one held batch until an operator decides.
 */
import type { GuardConfig, WatcherSettings } from '../config';
import type { PollerDeps } from './poller';
import { batchIdFor } from './classify';
import { removedGroupEntry } from './groups';
import type {
  AdmissionOutcome,
  AdmissionRequest,
  AdmissionVerdict,
  BatchDecision,
  DecisionOutcome,
  GroupSnapshotEntry,
  GuardSource,
  HeldEvent,
  PendingBatch,
  PollOutcome,
  ReleasedRecord,
  SnapshotEntry,
  WatcherState,
} from './types';

/** Admission answers remembered for retried requests; older ones are long settled. */
const REMEMBERED_ADMISSIONS = 500;

/** How each source's changes are named in a hold reason. */
const WORDING: Record<GuardSource, { unit: string; per: string }> = {
  watcher: { unit: 'leavers', per: 'poll' },
  intake: { unit: 'leavers', per: 'intake request' },
  reconcile: { unit: 'corrections and suspensions', per: 'reconciliation run' },
  review: { unit: 'revocations', per: 'access review' },
  groups: { unit: 'group deletions', per: 'poll' },
};

export function activeCount(state: WatcherState): number {
  let n = 0;
  for (const entry of Object.values(state.people)) if (entry.enabled && !entry.gone && !entry.hold) n++;
  return n;
}

/** The snapshot entry of a released watcher leaver: gone (a removal) or disabled. */
export function releasedEntry(previous: SnapshotEntry | undefined, held: HeldEvent): SnapshotEntry {
  const v = (previous?.v ?? 0) + 1;
  return held.fp === null
    ? { ...(previous ?? { fp: '', groups: [] }), enabled: previous?.enabled ?? false, gone: true, v, hold: undefined, keptSince: undefined }
    : { fp: held.fp, enabled: false, v, groups: held.groups };
}

function heldCount(pending: PendingBatch): { total: number; sources: Partial<Record<GuardSource, number>> } {
  const sources: Partial<Record<GuardSource, number>> = {};
  for (const h of pending.held) {
    const source: GuardSource = h.external ? 'intake' : 'watcher';
    sources[source] = (sources[source] ?? 0) + 1;
  }
  for (const r of pending.requests ?? []) sources[r.source] = (sources[r.source] ?? 0) + r.count;
  if ((pending.groups ?? []).length > 0) sources.groups = (sources.groups ?? 0) + pending.groups!.length;
  return { total: Object.values(sources).reduce((a, b) => a + b, 0), sources };
}

/** The small summary the workflow keeps (history stays tiny however big the directory is). */
export function outcome(state: WatcherState, settings: WatcherSettings, delivered: number, pollAt: string): PollOutcome {
  const p = state.pending;
  const held = p ? heldCount(p) : null;
  return {
    generation: state.generation,
    delivered,
    cursorAdvancedAt: state.cursorAdvancedAt,
    lastPollAt: pollAt,
    people: activeCount(state),
    pending: p && held ? { batchId: p.id, leavers: held.total, sources: held.sources, reason: p.reason, since: p.createdAt } : null,
    pollIntervalMs: settings.pollInterval,
    pollsPerRun: settings.pollsPerRun,
  };
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/** Deprovisionings released without an operator within the guard's window, oldest dropped. */
export function releasedInWindow(state: WatcherState, guard: GuardConfig, nowIso: string): ReleasedRecord[] {
  const from = Date.parse(nowIso) - guard.window;
  return (state.released ?? []).filter((r) => Date.parse(r.at) > from);
}

function overLimit(
  guard: GuardConfig,
  source: GuardSource,
  count: number,
  recent: number,
  base: number,
  limits: { maxLeavers?: number; maxLeaverPercent?: number },
  label: string,
): string | null {
  const { unit, per } = WORDING[source];
  const total = count + recent;
  // Released ones count too: a deletion split over several polls or requests is one mass change.
  const where = recent > 0 ? `within ${formatDuration(guard.window)} (${recent} already released, ${count} in this ${per})` : `in one ${per}`;
  if (limits.maxLeavers !== undefined && total > limits.maxLeavers) return `${total} ${unit}${label} ${where} exceed the limit of ${limits.maxLeavers}`;
  if (limits.maxLeaverPercent !== undefined && base >= guard.minSnapshotForPercent && total * 100 > base * limits.maxLeaverPercent) {
    return `${total} ${unit}${label} ${where} are more than ${limits.maxLeaverPercent}% of ${base} active people`;
  }
  return null;
}

/** A scan that suddenly returns far fewer people (or groups) than the snapshot holds every removal: a wrong base DN, bind or an empty page looks like a mass deletion. */
export function shrunkScanReason(guard: GuardConfig, what: 'people' | 'groups', scanned: number, before: number): string | null {
  if (before === 0 || scanned * 100 >= before * guard.minPeoplePercent) return null;
  const base = what === 'groups' ? 'group base DN' : 'base DN';
  return `directory returned ${scanned} ${what}, last snapshot had ${before} (below ${guard.minPeoplePercent}%): wrong ${base}, bind or an empty page?`;
}

/** A removal an operator rejected is "not now": once guard.rejectRecheckAfter has passed and it is still gone, it is judged again. */
export function rejectionExpired(entry: { hold?: string; keptSince?: string }, guard: GuardConfig, nowIso: string): boolean {
  if (entry.hold !== 'kept') return false;
  const since = entry.keptSince ? Date.parse(entry.keptSince) : NaN;
  return !Number.isNaN(since) && since + guard.rejectRecheckAfter <= Date.parse(nowIso);
}

/**
 * Holds in the pending batch `joined`, or in a new batch held for `reason` whose id comes from `ids`
 * (the held events' or request's ids, so a repeated poll or request makes the same batch), and
 * audits the hold or the join. `add` puts what is held into the batch.
 */
export async function holdInBatch(
  deps: Pick<PollerDeps, 'audit'>,
  hold: { joined: PendingBatch | null; reason: string; ids: string[]; nowIso: string },
  add: (batch: PendingBatch) => PendingBatch,
  audit: { joining: string; after: Record<string, unknown> },
): Promise<PendingBatch> {
  const { joined, reason, nowIso } = hold;
  const id = batchIdFor(hold.ids);
  const pending = add(joined ?? { id, createdAt: nowIso, reason, held: [] });
  await deps.audit.append({
    actor: 'idsync',
    action: joined ? 'guard-hold-joined' : 'guard-hold',
    rule: 'mass-change-guard',
    reason: joined ? `${audit.joining} held batch ${pending.id}` : reason,
    after: { batchId: pending.id, ...audit.after },
    key: joined ? `${pending.id}-join-${id}` : pending.id,
  });
  return pending;
}

/** Why `count` deprovisionings from `source` must wait for an operator, or null when they may flow. */
export function guardReason(
  settings: WatcherSettings,
  state: WatcherState,
  source: GuardSource,
  count: number,
  nowIso: string,
  scanned: number | null = null,
): string | null {
  const g = settings.guard;
  const active = activeCount(state);
  const shrunk = scanned !== null ? shrunkScanReason(g, 'people', scanned, active) : null;
  if (shrunk) return shrunk;
  const window = releasedInWindow(state, g, nowIso);
  const recentTotal = window.reduce((n, r) => n + r.count, 0);
  const recentHere = window.filter((r) => (r.source ?? 'watcher') === source).reduce((n, r) => n + r.count, 0);
  const base = active + recentTotal;
  const total = overLimit(g, source, count, recentTotal, base, g, '');
  if (total) return total;
  const own = g.sources?.[source];
  return own ? overLimit(g, source, count, recentHere, base, own, ` from the ${source}`) : null;
}

/** The reason to hold removals an operator rejected earlier and the directory still does not have. */
export function recheckReason(guard: GuardConfig, count: number): string {
  return `${count} removal(s) rejected earlier are still gone from the directory after ${formatDuration(guard.rejectRecheckAfter)}: an operator decides again`;
}

/** The window after releasing `count` from `source` now. */
export function windowAfterRelease(state: WatcherState, guard: GuardConfig, source: GuardSource, count: number, nowIso: string): ReleasedRecord[] {
  return [...releasedInWindow(state, guard, nowIso), { at: nowIso, count, source }];
}

/** Adds an admission request to the held batch: leaver events are kept to deliver on approval, other requests wait for a signal. */
function joinBatch(pending: PendingBatch, request: AdmissionRequest): PendingBatch {
  if (request.events && request.events.length > 0) {
    const already = new Set(pending.held.map((h) => h.event.anchor));
    const events = request.events.filter((e) => !already.has(e.anchor));
    return { ...pending, held: [...pending.held, ...events.map((event) => ({ event, fp: null, groups: [], external: true }))] };
  }
  const { requestId, source, count, what, waiter } = request;
  return { ...pending, requests: [...(pending.requests ?? []), { requestId, source, count, what, ...(waiter ? { waiter } : {}) }] };
}

function remember(state: WatcherState, requestId: string, verdict: AdmissionVerdict): Record<string, AdmissionVerdict> {
  const entries = Object.entries(state.admissions ?? {});
  return Object.fromEntries([...entries.slice(-(REMEMBERED_ADMISSIONS - 1)), [requestId, verdict]]);
}

/**
 * Asks the guard whether a source other than the watcher may deprovision now. Admitted requests
 * are counted in the window; held ones join the pending batch (a new one when the guard trips now).
 * The same request id always gets the same answer.
 */
export async function admitDeprovisioning(deps: PollerDeps, generation: number | null, request: AdmissionRequest): Promise<AdmissionOutcome> {
  const state = deps.store.load(generation);
  const nowIso = new Date((deps.now ?? Date.now)()).toISOString();
  const known = state.admissions?.[request.requestId];
  if (known) return { ...outcome(state, deps.settings, 0, nowIso), verdict: known };
  const guard = deps.settings.guard;
  const reason = state.pending ? state.pending.reason : guardReason(deps.settings, state, request.source, request.count, nowIso);
  if (!reason) {
    const verdict: AdmissionVerdict = { admitted: true };
    const next = deps.store.save({ ...state, released: windowAfterRelease(state, guard, request.source, request.count, nowIso), admissions: remember(state, request.requestId, verdict) }, state.generation);
    return { ...outcome(next, deps.settings, 0, nowIso), verdict };
  }
  const pending = await holdInBatch(deps, { joined: state.pending, reason, ids: [request.requestId], nowIso }, (batch) => joinBatch(batch, request), {
    joining: `${request.what} joins`,
    after: { source: request.source, count: request.count, what: request.what },
  });
  const verdict: AdmissionVerdict = { admitted: false, batchId: pending.id, reason };
  const next = deps.store.save({ ...state, pending, admissions: remember(state, request.requestId, verdict) }, state.generation);
  return { ...outcome(next, deps.settings, 0, nowIso), verdict };
}

/** Whether `operator` may decide on a held batch: an enabled directory person in one of guard.operatorGroups. */
async function operatorRefusal(deps: PollerDeps, operator: string): Promise<string | null> {
  const who = operator.trim();
  if (!who) return 'an anonymous decision is refused: name the operator';
  const person = await deps.source.findPerson(who.includes('@') ? { email: who } : { username: who });
  if (!person) return `operator ${who} is not in the directory`;
  if (!person.enabled) return `operator ${who} is disabled in the directory`;
  const groups = deps.settings.guard.operatorGroups;
  if (!person.groups.some((g) => groups.some((o) => o.toLowerCase() === g.toLowerCase()))) return `operator ${who} is in none of the operator groups (${groups.join(', ')})`;
  return null;
}

/** The watcher snapshot after a decision on its own held leavers; the intake's held events leave no trace there. */
function snapshotAfterDecision(state: WatcherState, pending: PendingBatch, approve: boolean, nowIso: string): Record<string, SnapshotEntry> {
  const people = { ...state.people };
  for (const held of pending.held) {
    if (held.external) continue;
    const anchor = held.event.anchor;
    const previous = people[anchor];
    if (approve) people[anchor] = releasedEntry(previous, held);
    // Rejected removals are "not now": kept until they come back, or judged again (a new batch, new
    // event ids) if the directory still says they are gone after guard.rejectRecheckAfter. Rejected
    // disables are simply recorded.
    else if (held.fp === null) people[anchor] = { ...previous!, hold: 'kept', keptSince: nowIso, v: (previous?.v ?? 0) + 1 };
    else people[anchor] = { fp: held.fp, enabled: false, v: previous?.v ?? 0, groups: held.groups };
  }
  return people;
}

/** The group snapshot after a decision on held group deletions: released ones are gone, rejected ones kept ("not now"). */
function groupsAfterDecision(state: WatcherState, pending: PendingBatch, approve: boolean, nowIso: string): Record<string, GroupSnapshotEntry> | null {
  if (!pending.groups?.length || !state.groups) return null;
  const groups = { ...state.groups };
  for (const held of pending.groups) {
    const before = groups[held.event.anchor];
    groups[held.event.anchor] = approve ? removedGroupEntry(before, held) : { ...before!, hold: 'kept', keptSince: nowIso, v: (before?.v ?? 0) + 1 };
  }
  return groups;
}

/**
 * Applies an operator's decision on the pending batch; a decision for another (older) batch changes
 * nothing. Only a member of an operator group may decide: anyone else (or nobody) is refused, and the
 * refusal is audited. Requesters waiting on the batch are returned, to be signalled.
 */
export async function decideBatch(deps: PollerDeps, generation: number | null, decision: BatchDecision, approve: boolean): Promise<DecisionOutcome> {
  const state = deps.store.load(generation);
  const nowIso = new Date((deps.now ?? Date.now)()).toISOString();
  const pending = state.pending;
  if (!pending || (decision.batchId && decision.batchId !== pending.id)) return { ...outcome(state, deps.settings, 0, nowIso), refused: `no held batch ${decision.batchId ?? ''}`.trim() };
  const refused = await operatorRefusal(deps, String(decision.operator ?? ''));
  if (refused) {
    await deps.audit.append({
      actor: String(decision.operator ?? '').trim() || 'anonymous',
      action: 'guard-decision-refused',
      rule: 'mass-change-guard',
      reason: refused,
      before: { batchId: pending.id, decision: approve ? 'approve' : 'reject', comment: decision.comment },
    });
    return { ...outcome(state, deps.settings, 0, nowIso), refused };
  }
  if (approve) await deps.deliver(pending.held.map((h) => h.event));
  const heldGroups = pending.groups ?? [];
  if (approve && heldGroups.length > 0 && deps.deliverGroups) await deps.deliverGroups(heldGroups.map((h) => h.event));
  const held = heldCount(pending);
  await deps.audit.append({
    actor: decision.operator,
    action: approve ? 'approve' : 'reject',
    rule: 'mass-change-guard',
    reason: decision.comment,
    before: { batchId: pending.id, leavers: held.total, sources: held.sources, heldBecause: pending.reason, requests: (pending.requests ?? []).map((r) => r.what) },
    after: { released: approve ? pending.held.map((h) => h.event.anchor) : [], ...(heldGroups.length > 0 ? { groups: approve ? heldGroups.map((h) => h.event.anchor) : [] } : {}) },
    key: `${pending.id}-${approve ? 'approve' : 'reject'}`,
  });
  // A decision starts a fresh window: what the operator saw is not counted against the next poll.
  const people = snapshotAfterDecision(state, pending, approve, nowIso);
  const groups = groupsAfterDecision(state, pending, approve, nowIso);
  const next = deps.store.save({ ...state, people, ...(groups ? { groups } : {}), pending: null, released: [] }, state.generation);
  const waiters = (pending.requests ?? []).flatMap((r) => (r.waiter ? [r.waiter] : []));
  return { ...outcome(next, deps.settings, approve ? pending.held.length : 0, nowIso), ...(waiters.length > 0 ? { waiters } : {}) };
}
