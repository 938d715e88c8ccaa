/**
 * The entity workflow of one person (id personWorkflowId(anchor)). Identity events arrive as signals
 * and are applied one at a time, in order, each as one child run. It remembers recent event ids (a
 * duplicate starts nothing), lets a newer event supersede an older pending one, owns the pending
 * deprovisioning timers (so a rehire can cancel them) and continues as new with its small state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { IdentityEvent, IdentityEventKind } from '../lib/person';
import { identityEventSignal, personStatusQuery, runWorkflowId, supersedeSignal } from './person-messages';
import { directoryActivities, failureMessage, SA, targetActivities } from './person-activities';
import type { EventOutcome, PersonLifecycleOptions, PersonLifecycleState, PersonStatus, RunInput, RunResult } from './person-types';

export interface PersonLifecycleInput {
  anchor: string;
  options?: PersonLifecycleOptions;
  /** Carried across continue-as-new; absent on the first run. */
  state?: PersonLifecycleState;
}

const RUN_WORKFLOW: Record<IdentityEventKind, string> = {
  joiner: 'joinerWorkflow',
  mover: 'moverWorkflow',
  sync: 'moverWorkflow',
  leaver: 'leaverWorkflow',
  rehire: 'rehireWorkflow',
};
const DEFAULT_REMEMBERED_EVENTS = 256;
const RECENT_OUTCOMES = 20;
const DEFAULT_IDLE_FINISH_MS = 30 * 24 * 3600 * 1000;
/** Continue as new after this many events even if the server does not ask yet, so replays stay short. */
const EVENTS_PER_RUN = 200;

export async function personLifecycleWorkflow(input: PersonLifecycleInput): Promise<PersonStatus> {
  const options = input.state?.options ?? input.options ?? {};
  const state: PersonLifecycleState = input.state ?? { anchor: input.anchor, options, seenEventIds: [], queue: [], pendingRemovals: [], recent: [] };
  const audit = directoryActivities(options).recordAudit;
  let active: (NonNullable<PersonStatus['activeRun']> & { handle?: ChildWorkflowHandle<() => Promise<RunResult>>; supersedeSent?: boolean }) | undefined;
  let eventsThisRun = 0;

  const note = (outcome: EventOutcome) => {
    state.recent = [...state.recent, outcome].slice(-RECENT_OUTCOMES);
  };
  const status = (): PersonStatus => ({
    anchor: state.anchor,
    activeRun: active && { workflowId: active.workflowId, kind: active.kind, eventId: active.eventId, startedAt: active.startedAt },
    queued: state.queue.map((e) => ({ eventId: e.eventId, kind: e.kind })),
    pendingLeave: state.pendingLeave,
    pendingRemovals: state.pendingRemovals,
    recent: state.recent,
    lastResult: state.lastResult,
  });

  setHandler(personStatusQuery, status);
  setHandler(identityEventSignal, (event) => {
    const now = new Date().toISOString();
    if (event.anchor !== state.anchor || state.seenEventIds.includes(event.eventId)) {
      note({ eventId: event.eventId, kind: event.kind, outcome: 'duplicate', at: now, message: event.anchor !== state.anchor ? 'event for another person ignored' : undefined });
      return;
    }
    state.seenEventIds = [...state.seenEventIds, event.eventId].slice(-(options.rememberedEvents ?? DEFAULT_REMEMBERED_EVENTS));
    // A queued event that a newer one makes pointless never starts: a leaver replaces everything queued
    // before it; a mover or sync replaces earlier movers/syncs (each run re-reads the directory anyway).
    const replaces = (queued: IdentityEvent) =>
      event.kind === 'leaver' ? queued.kind !== 'leaver' : (event.kind === 'mover' || event.kind === 'sync') && (queued.kind === 'mover' || queued.kind === 'sync');
    for (const dropped of state.queue.filter(replaces)) {
      note({ eventId: dropped.eventId, kind: dropped.kind, outcome: 'superseded-before-start', at: now, message: `replaced by ${event.kind} ${event.eventId}` });
    }
    state.queue = [...state.queue.filter((q) => !replaces(q)), event];
    supersedeActiveRun();
  });

  /** A run waiting (approval, start date) for a person who has since changed stops waiting; sync events never interrupt. */
  function supersedeActiveRun(): void {
    const newer = state.queue.find((e) => e.kind !== 'sync');
    if (!active?.handle || active.supersedeSent || active.kind === 'leaver' || !newer) return;
    active.supersedeSent = true;
    active.handle.signal(supersedeSignal, { byEventId: newer.eventId, kind: newer.kind }).catch(() => undefined);
  }

  upsertSearchAttributes([{ key: SA.person, value: state.anchor }]);

  async function cancelDeprovisioning(event: IdentityEvent, targets?: string[]): Promise<void> {
    const cancelled = state.pendingRemovals.filter((r) => !targets || targets.includes(r.target));
    const leave = !targets ? state.pendingLeave : undefined;
    if (cancelled.length === 0 && !leave) return;
    state.pendingRemovals = state.pendingRemovals.filter((r) => !cancelled.includes(r));
    if (leave) state.pendingLeave = undefined;
    await audit({
      actor: 'idsync',
      action: 'deprovisioning-cancelled',
      person: state.anchor,
      before: { removals: cancelled.map((r) => ({ target: r.target, removeAt: r.removeAt })), leave: leave?.dueAt },
      reason: `${event.kind} ${event.eventId}: ${event.reason}`,
    });
  }

  async function run(kind: IdentityEventKind, eventId: string, reason: string): Promise<void> {
    const workflowId = runWorkflowId(kind, state.anchor, eventId);
    const runInput: RunInput = { anchor: state.anchor, eventId, kind, reason, options };
    active = { workflowId, kind, eventId, startedAt: new Date().toISOString() };
    setCurrentDetails(`running ${kind} ${eventId}`);
    let result: RunResult;
    try {
      active.handle = await startChild<(i: RunInput) => Promise<RunResult>>(RUN_WORKFLOW[kind], {
        workflowId,
        args: [runInput],
        typedSearchAttributes: [
          { key: SA.person, value: state.anchor },
          { key: SA.eventKind, value: kind },
          { key: SA.targets, value: [] },
          { key: SA.approvalState, value: 'none' },
        ],
        memo: { event: { kind, source: 'idsync', reason } },
        staticSummary: `${kind} for ${state.anchor}`,
        staticDetails: `Event ${eventId}: ${reason}`,
      });
      supersedeActiveRun(); // an event that arrived while the child was starting
      result = await active.handle.result();
    } catch (err) {
      result = { eventId, kind, workflowId, outcome: 'failed', targets: [], scheduledRemovals: [], inScopeTargets: [], message: failureMessage(err) };
    }
    active = undefined;
    const now = Date.now();
    state.pendingRemovals = state.pendingRemovals.filter((r) => !result.inScopeTargets.includes(r.target));
    for (const removal of result.scheduledRemovals) {
      if (state.pendingRemovals.some((r) => r.target === removal.target)) continue; // the earlier clock keeps running
      state.pendingRemovals.push({ ...removal, eventId, removeAt: new Date(now + removal.gracePeriodMs).toISOString() });
    }
    // A leave date in the directory becomes a pending leave this workflow starts on the day (cancellable).
    if (result.plan && kind !== 'leaver') {
      const leaveAt = result.plan.leaveAt;
      if (leaveAt && (!state.pendingLeave || state.pendingLeave.fromPlan)) {
        state.pendingLeave = { eventId: `${eventId}.leave-date`, dueAt: leaveAt, reason: `leave date ${leaveAt} reached`, fromPlan: true };
      } else if (!leaveAt && state.pendingLeave?.fromPlan) state.pendingLeave = undefined;
    }
    state.lastResult = result;
    note({ eventId, kind, workflowId, outcome: result.outcome, at: new Date(now).toISOString(), message: result.message });
  }

  async function handle(event: IdentityEvent): Promise<void> {
    eventsThisRun += 1;
    if (event.kind === 'joiner' || event.kind === 'rehire') await cancelDeprovisioning(event);
    if (event.kind === 'leaver') {
      const leaveAt = event.person?.endDate ? Date.parse(event.person.endDate) : NaN;
      if (!Number.isNaN(leaveAt) && leaveAt > Date.now()) {
        state.pendingLeave = { eventId: event.eventId, dueAt: new Date(leaveAt).toISOString(), reason: event.reason };
        note({ eventId: event.eventId, kind: event.kind, outcome: 'deferred', at: new Date().toISOString(), message: `leave date ${state.pendingLeave.dueAt}` });
        return;
      }
      state.pendingLeave = undefined; // leaving now: a leave scheduled for later has nothing left to do
    }
    await run(event.kind, event.eventId, event.reason);
  }

  /** Removes accounts whose grace period is over and starts a leave whose date has come. */
  async function runDue(): Promise<void> {
    const now = Date.now();
    if (state.pendingLeave && Date.parse(state.pendingLeave.dueAt) <= now) {
      const leave = state.pendingLeave;
      state.pendingLeave = undefined;
      await run('leaver', leave.eventId, leave.reason);
    }
    const due = state.pendingRemovals.filter((r) => Date.parse(r.removeAt) <= now);
    state.pendingRemovals = state.pendingRemovals.filter((r) => !due.includes(r));
    await Promise.all(
      due.map(async (r) => {
        try {
          await targetActivities(r.target, options).removeAccount(r.target, { anchor: state.anchor, username: r.username, email: r.email }, `grace period over (leaver ${r.eventId})`);
          note({ eventId: r.eventId, kind: 'leaver', outcome: 'completed', at: new Date().toISOString(), message: `removed from ${r.target}` });
        } catch (err) {
          const message = `removal from ${r.target} failed: ${failureMessage(err)}`;
          note({ eventId: r.eventId, kind: 'leaver', outcome: 'failed', at: new Date().toISOString(), message });
          await audit({ actor: 'idsync', action: 'remove-failed', person: state.anchor, target: r.target, reason: `${message}; the account stays suspended until the next reconciliation` });
        }
      }),
    );
  }

  const nextDue = (): number | undefined => {
    const times = [...state.pendingRemovals.map((r) => Date.parse(r.removeAt)), ...(state.pendingLeave ? [Date.parse(state.pendingLeave.dueAt)] : [])];
    return times.length > 0 ? Math.min(...times) : undefined;
  };

  for (;;) {
    if (state.queue.length === 0) {
      if (workflowInfo().continueAsNewSuggested || eventsThisRun >= (options.eventsPerRun ?? EVENTS_PER_RUN)) {
        await condition(allHandlersFinished);
        if (state.queue.length === 0) return continueAsNew<typeof personLifecycleWorkflow>({ anchor: state.anchor, state });
      }
      const due = nextDue();
      setCurrentDetails(due === undefined ? 'idle' : `next deprovisioning step at ${new Date(due).toISOString()}`);
      if (due === undefined) {
        const woken = await condition(() => state.queue.length > 0, options.idleFinishMs ?? DEFAULT_IDLE_FINISH_MS);
        if (!woken) {
          await condition(allHandlersFinished);
          if (state.queue.length === 0) return status();
        }
      } else if (due > Date.now()) {
        await condition(() => state.queue.length > 0, due - Date.now());
      }
    }
    const next = state.queue.shift();
    if (next) await handle(next);
    else await runDue();
  }
}

/** The run workflows the person workflow starts as children (same bundle, same worker). */
export { joinerWorkflow, moverWorkflow, rehireWorkflow, leaverWorkflow } from './jml';
