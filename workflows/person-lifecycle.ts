/**
 * The entity workflow of one person (id personWorkflowId(anchor)): the thin shell around PersonState
 * (person-state.ts), which holds the rules. Identity events arrive as signals and are applied one at a
 * time, in order, each as one child run. It remembers the accounts it manages (links), owns the
 * pending deprovisioning timers (so a rehire can cancel them), retries a person left short of the
 * desired state on a durable back-off until converged, and continues as new with its small state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  metricMeter,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { IdentityEvent, IdentityEventKind } from '../domain/person';
import { approveSignal, identityEventSignal, personStatusQuery, rejectSignal, runWorkflowId, supersedeSignal } from './person-messages';
import { directoryActivities, failureMessage, isNonRetryable, SA, targetActivities } from './person-activities';
import { PersonState } from './person-state';
import type { ApprovalDecisionInput, PersonLifecycleOptions, PersonLifecycleState, PersonStatus, RunInput, RunResult } from './person-types';
import { personLabel, runSummary } from '../lib/run-summary';
import { idsyncMetrics } from '../lib/metrics';

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
const DEFAULT_IDLE_FINISH_MS = 30 * 24 * 3600 * 1000;
/** Person workflows started before approvals sent to them were forwarded ignored them (their histories still replay). */
const FORWARDS_APPROVALS = 'person-forwards-approvals-to-its-run';
/** Person workflows started before the username's keyed hash was published (their histories still replay). */
const PUBLISHES_USERNAME_KEY = 'person-publishes-username-key';
/** Continue as new after this many events even if the server does not ask yet, so replays stay short. */
const EVENTS_PER_RUN = 200;

export async function personLifecycleWorkflow(input: PersonLifecycleInput): Promise<PersonStatus> {
  const person = PersonState.start(input.anchor, input.state?.options ?? input.options ?? {}, input.state);
  const options = person.options;
  const audit = directoryActivities(options).recordAudit;
  let active: (NonNullable<PersonStatus['activeRun']> & { handle?: ChildWorkflowHandle<() => Promise<RunResult>>; supersedeSent?: boolean }) | undefined;
  let eventsThisRun = 0;
  const publishedAttributes = { links: '', outcome: '', usernameKey: '' };
  /** "Nina Kowalski (nkowalski)" from the latest event that carried the person; for summaries only (encrypted like payloads). */
  let who: string | undefined;

  setHandler(personStatusQuery, () => person.status(active && { workflowId: active.workflowId, kind: active.kind, eventId: active.eventId, startedAt: active.startedAt }));
  setHandler(identityEventSignal, (event) => {
    if (event.person && event.anchor === person.anchor) who = personLabel(event.person);
    const accepted = person.receive(event, Date.now());
    idsyncMetrics(metricMeter).identityEvent({ kind: event.kind, source: event.source, disposition: accepted ? 'accepted' : 'duplicate' });
    if (accepted) supersedeActiveRun();
  });
  // An approver who signals the person (what the UI shows first) rather than its run: the decision is
  // passed to the run that waits, which checks the approver as always; with nothing waiting it is
  // refused and audited, never dropped silently.
  setHandler(approveSignal, (decision) => forwardDecision(approveSignal, decision));
  setHandler(rejectSignal, (decision) => forwardDecision(rejectSignal, decision));

  async function forwardDecision(signal: typeof approveSignal, decision: ApprovalDecisionInput): Promise<void> {
    if (!patched(FORWARDS_APPROVALS)) return;
    if (active?.handle && active.kind !== 'leaver') {
      await active.handle.signal(signal, decision).catch(() => undefined);
      return;
    }
    const approver = typeof decision?.approver === 'string' && decision.approver.trim() ? decision.approver.trim() : '(anonymous)';
    await audit({ actor: approver, action: 'approval-refused', person: person.anchor, reason: `${signal.name} sent to the person workflow, but no run of this person waits for an approval` });
  }

  /** A run waiting (approval, start date) for a person who has since changed stops waiting; sync events never interrupt. */
  function supersedeActiveRun(): void {
    const newer = person.interruptingEvent();
    if (!active?.handle || active.supersedeSent || active.kind === 'leaver' || !newer) return;
    active.supersedeSent = true;
    active.handle.signal(supersedeSignal, { byEventId: newer.eventId, kind: newer.kind }).catch(() => undefined);
  }

  /**
   * Links, outcome and the username's keyed hash are search attributes: `IdsyncOutcome = "partial"` lists
   * who needs attention, `IdsyncLinks = "hubspot:123"` who owns an account, `IdsyncUsernameKey` finds a
   * person by username after the directory has forgotten them (`idsync status <username>`).
   */
  function publish(): void {
    const links = person.linkValues();
    const outcome = person.data.outcome ?? '';
    const usernameKey = person.data.usernameKey ?? '';
    const updates: SearchAttributeUpdatePair[] = [];
    if (links.join('\n') !== publishedAttributes.links) updates.push({ key: SA.links, value: links });
    if (outcome !== publishedAttributes.outcome && outcome) updates.push({ key: SA.outcome, value: outcome });
    const newKey = usernameKey && usernameKey !== publishedAttributes.usernameKey && patched(PUBLISHES_USERNAME_KEY);
    if (newKey) updates.push({ key: SA.usernameKey, value: usernameKey });
    if (updates.length === 0) return;
    upsertSearchAttributes(updates);
    publishedAttributes.links = links.join('\n');
    publishedAttributes.outcome = outcome;
    if (newKey) publishedAttributes.usernameKey = usernameKey;
  }

  upsertSearchAttributes([{ key: SA.person, value: person.anchor }]);
  publish();

  async function run(kind: IdentityEventKind, eventId: string, reason: string): Promise<void> {
    const workflowId = runWorkflowId(kind, person.anchor, eventId);
    const links = Object.fromEntries(Object.entries(person.links).map(([target, link]) => [target, link.accountId]));
    const pushed = kind !== 'leaver' ? person.pushedPerson : undefined;
    const runInput: RunInput = { anchor: person.anchor, eventId, kind, reason, options, links, ...(pushed ? { pushedPerson: pushed } : {}) };
    active = { workflowId, kind, eventId, startedAt: new Date().toISOString() };
    const summary = runSummary(kind, who ?? person.anchor, Object.keys(links));
    setCurrentDetails(`${summary}: running (event ${eventId})`);
    let result: RunResult;
    try {
      active.handle = await startChild<(i: RunInput) => Promise<RunResult>>(RUN_WORKFLOW[kind], {
        workflowId,
        args: [runInput],
        typedSearchAttributes: [
          { key: SA.person, value: person.anchor },
          { key: SA.eventKind, value: kind },
          { key: SA.targets, value: [] },
          { key: SA.approvalState, value: 'none' },
        ],
        memo: { event: { kind, source: 'idsync', reason } },
        staticSummary: summary,
        staticDetails: `Event ${eventId}: ${reason}\nPerson workflow: ${workflowInfo().workflowId}`,
      });
      supersedeActiveRun(); // an event that arrived while the child was starting
      result = await active.handle.result();
    } catch (err) {
      // The run itself broke (crashed, terminated, timed out): nothing is known to be converged, so it is retried.
      result = { eventId, kind, workflowId, outcome: 'failed', retryable: true, targets: [], scheduledRemovals: [], inScopeTargets: [], links: {}, message: failureMessage(err) };
    }
    active = undefined;
    idsyncMetrics(metricMeter).runFinished({ kind, outcome: result.outcome });
    person.runFinished(kind, eventId, result, Date.now());
    publish();
  }

  async function handle(event: IdentityEvent): Promise<void> {
    eventsThisRun += 1;
    if (event.kind === 'joiner' || event.kind === 'rehire') {
      const cancelled = person.cancelDeprovisioning();
      if (cancelled) {
        await audit({
          actor: 'idsync',
          action: 'deprovisioning-cancelled',
          person: person.anchor,
          before: { removals: cancelled.removals.map((r) => ({ target: r.target, removeAt: r.removeAt })), leave: cancelled.leaveDueAt },
          reason: `${event.kind} ${event.eventId}: ${event.reason}`,
        });
      }
    }
    if (event.kind === 'leaver' && person.deferLeaver(event, Date.now())) return;
    await run(event.kind, event.eventId, event.reason);
  }

  /** Starts a leave whose date has come and removes accounts whose grace period is over, each by its link. */
  async function runDue(): Promise<void> {
    const due = person.takeDue(Date.now());
    if (due.leave) await run('leaver', due.leave.eventId, due.leave.reason);
    await Promise.all(
      due.removals.map(async (r) => {
        const match = { anchor: person.anchor, ...(r.accountId ? { accountId: r.accountId } : {}), ...(r.username ? { username: r.username } : {}), ...(r.email ? { email: r.email } : {}) };
        try {
          await targetActivities(r.target, options).removeAccount(r.target, match, `grace period over (leaver ${r.eventId})`);
          person.removalDone(r, Date.now());
        } catch (err) {
          const retryable = !isNonRetryable(err);
          person.removalFailed(r, failureMessage(err), retryable, Date.now());
          await audit({ actor: 'idsync', action: 'remove-failed', person: person.anchor, target: r.target, reason: `${failureMessage(err)}; ${retryable ? 'tried again later' : 'needs a person'}` });
        }
      }),
    );
    publish();
  }

  for (;;) {
    if (!person.hasQueued) {
      if (workflowInfo().continueAsNewSuggested || eventsThisRun >= (options.eventsPerRun ?? EVENTS_PER_RUN)) {
        await condition(allHandlersFinished);
        if (!person.hasQueued) return continueAsNew<typeof personLifecycleWorkflow>({ anchor: person.anchor, state: person.data });
      }
      const due = person.nextDueAt();
      setCurrentDetails(`${who ?? person.anchor}: ${describeWait(person, due)}`);
      if (due === undefined) {
        // Idle. A person idsync still manages accounts for keeps the workflow (it holds the links); others finish after a while.
        const woken = person.mayFinish() ? await condition(() => person.hasQueued, options.idleFinishMs ?? DEFAULT_IDLE_FINISH_MS) : (await condition(() => person.hasQueued), true);
        if (!woken) {
          await condition(allHandlersFinished);
          if (!person.hasQueued && person.mayFinish()) return person.status();
        }
      } else if (due > Date.now()) {
        await condition(() => person.hasQueued, due - Date.now());
      }
    }
    if (!person.hasQueued && person.takeDueRetry(Date.now())) continue;
    const next = person.takeNextEvent();
    if (next) await handle(next);
    else await runDue();
  }
}

function describeWait(person: PersonState, due: number | undefined): string {
  const outcome = person.data.outcome ? `${person.data.outcome}${person.data.outcomeReason ? ` (${person.data.outcomeReason})` : ''}` : 'idle';
  if (due === undefined) return outcome;
  const retry = person.data.retry && !person.data.retry.queuedEventId && Date.parse(person.data.retry.dueAt) === due ? `retry ${person.data.retry.attempt}` : 'next deprovisioning step';
  return `${outcome}; ${retry} at ${new Date(due).toISOString()}`;
}

/** The run workflows the person workflow starts as children (same bundle, same worker). */
export { joinerWorkflow, moverWorkflow, rehireWorkflow, leaverWorkflow } from './jml';
