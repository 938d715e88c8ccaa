/**
 * One run per identity event, started by the person workflow: joiner, mover, rehire (all converge
 * the person's accounts to current policy) and leaver (suspend everywhere). Runs are thin: the plan
 * comes from an activity, so policy changes never make a replay diverge.
 */
import { allHandlersFinished, condition, patched, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { runStatusQuery, supersedeSignal } from './person-messages';
import { SA } from './person-activities';
import { WAITING_FOR } from '../lib/search-attributes';
import { compareText } from '../lib/compare-text';
import { ApprovalGate } from './approval';
import { applyApprovedGrants, applyTarget, planAndApply, readDesiredState, suspendTarget, type ApplyContext } from './jml-apply';
import { planPerson } from '../policy/plan';
import type { PersonPlan, TargetPlan } from '../policy/plan';
import type { RunInput, RunResult, RunView, TargetProgress } from './person-types';

interface RunScope {
  input: RunInput;
  ctx: ApplyContext;
  view: RunView;
  superseded: () => boolean;
}

function beginRun(input: RunInput): RunScope {
  const view: RunView = { workflowId: workflowInfo().workflowId, kind: input.kind, eventId: input.eventId, phase: 'planning', targets: [] };
  const ctx: ApplyContext = { anchor: input.anchor, options: input.options, reason: input.reason, links: input.links ?? {}, ...(input.pushedPerson ? { pushedPerson: input.pushedPerson } : {}), progress: new Map(), removals: [], linked: {} };
  let supersededBy: string | undefined;
  setHandler(supersedeSignal, ({ byEventId }) => void (supersededBy = byEventId));
  setHandler(runStatusQuery, () => ({ ...view, targets: [...ctx.progress.values()] }));
  return { input, ctx, view, superseded: () => supersededBy !== undefined };
}

/**
 * Plans every target and applies each as soon as its plan is ready. A joiner or rehire for someone
 * the directory does not have applies nothing (`requirePerson`).
 */
async function planAndApplyAll(scope: RunScope, apply: (tp: TargetPlan) => Promise<unknown>, requirePerson = false): Promise<PersonPlan> {
  scope.view.phase = 'planning';
  const person = await readDesiredState(scope.ctx, new Date().toISOString());
  if (requirePerson && !person.found) return planPerson(person.desired, [], person);
  scope.view.phase = 'applying';
  const planned = await planAndApply(scope.ctx, person, apply);
  scope.view.plan = planned;
  upsertSearchAttributes([{ key: SA.targets, value: planned.targets.filter((t) => t.inScope).map((t) => t.target) }]);
  setCurrentDetails(`${scope.input.kind} for ${planned.username ?? scope.input.anchor}: planned ${planned.targets.filter((t) => t.inScope).map((t) => t.target).join(', ') || 'no target in scope'}`);
  return planned;
}

type Ending = Pick<RunResult, 'outcome' | 'plan' | 'inScopeTargets' | 'approval' | 'message' | 'retryable'>;

/**
 * The run's truthful outcome: converged only when every target is as desired; partial names each
 * target that is not, and why. The outcome is also the run's search attribute, so
 * `IdsyncOutcome = "partial"` in the UI lists every run that left someone short.
 */
async function finish(scope: RunScope, ending: Ending): Promise<RunResult> {
  await condition(allHandlersFinished);
  const targets: TargetProgress[] = [...scope.ctx.progress.values()].sort((a, b) => compareText(a.target, b.target));
  const short = targets.filter((t) => t.status === 'failed');
  const conflicted = short.some((t) => t.conflictWith);
  const outcome = ending.outcome === 'converged' && short.length > 0 ? (conflicted ? 'conflict' : 'partial') : ending.outcome;
  const message = ending.message ?? (short.length > 0 ? short.map((t) => `${t.target}: ${t.error}`).join('; ') : undefined);
  upsertMemo({ outcome, failedTargets: short.map((t) => t.target) });
  if (outcome !== 'superseded') upsertSearchAttributes([{ key: SA.outcome, value: outcome }]);
  return {
    ...ending,
    outcome,
    ...(message !== undefined ? { message } : {}),
    eventId: scope.input.eventId,
    kind: scope.input.kind,
    workflowId: scope.view.workflowId,
    targets,
    scheduledRemovals: scope.ctx.removals,
    links: scope.ctx.linked,
  };
}

/** Shared by joiner, mover and rehire: converge every target to current policy. */
async function converge(input: RunInput): Promise<RunResult> {
  const scope = beginRun(input);
  let current: PersonPlan | undefined;
  const gate = new ApprovalGate(input, () => current?.username);
  gate.install();
  const apply = (tp: TargetPlan) => applyTarget(scope.ctx, tp);
  // Only a leaver cuts the access of someone the directory does not have: the watcher emits it once
  // the absence is confirmed, and the mass-change guard admits it. A mover or sync that finds nobody
  // (a lookup that missed, a directory being restored) changes nothing.
  const requirePerson = input.kind === 'joiner' || input.kind === 'rehire' || patched(ABSENT_PERSON_ONLY_BY_LEAVER);
  current = await planAndApplyAll(scope, apply, requirePerson);
  if (!current.found && requirePerson) return notInDirectory(scope, input, current);
  // Future starter: accounts exist inactive; activate on the start date (durable timer), from a fresh plan.
  // IdsyncWaitingFor says so in visibility while it waits (runs started before that keep their history).
  const publishWait = current.activateAt !== undefined && patched(PUBLISHES_START_DATE_WAIT);
  if (publishWait) upsertSearchAttributes([{ key: SA.waitingFor, value: WAITING_FOR.startDate }]);
  while (current.activateAt) {
    scope.view.phase = `waiting for start date ${current.activateAt}`;
    setCurrentDetails(`${current.username ?? input.anchor}: accounts created inactive, waiting for the start date ${current.activateAt}`);
    const wait = Math.max(1000, Date.parse(current.activateAt) - Date.now());
    if (await condition(scope.superseded, wait)) {
      return finish(scope, { outcome: 'superseded', plan: current, inScopeTargets: inScope(current), message: 'a newer event replaced this run before the start date' });
    }
    current = await planAndApplyAll(scope, apply, requirePerson);
    if (!current.found && requirePerson) return notInDirectory(scope, input, current);
  }
  if (publishWait) upsertSearchAttributes([{ key: SA.waitingFor, value: WAITING_FOR.nothing }]);
  const awaiting = current.targets.filter((t) => t.heldForApproval.length > 0 && scope.ctx.progress.get(t.target)?.status === 'done');
  if (awaiting.length > 0) {
    scope.view.phase = 'waiting for approval';
    scope.view.approval = gate.view;
    const approvers = [current.approval?.managerAnchor ? 'the manager' : undefined, ...(current.approval?.approverGroups ?? [])].filter(Boolean).join(' or ');
    const grants = awaiting.flatMap((t) => t.heldForApproval.map((e) => `${t.target} ${e.name}`)).join(', ');
    setCurrentDetails(`waiting for approval by ${approvers || 'an approver'} for ${current.username ?? input.anchor}: ${grants}`);
    const state = await gate.request(awaiting, input.options.approvalTimeoutMs ?? current.approvalTimeoutMs, scope.superseded);
    if (state === 'approved') {
      scope.view.phase = 'applying approved grants';
      setCurrentDetails(`approved by ${gate.view.decidedBy}: applying the held grants`);
      await applyApprovedGrants(scope.ctx, current, `${gate.view.decidedBy} (${scope.view.workflowId})`);
    }
  }
  scope.view.phase = 'finished';
  setCurrentDetails(`finished${awaiting.length > 0 ? `; approval ${gate.state}${gate.view.decidedBy ? ` by ${gate.view.decidedBy}` : ''}` : ''}`);
  const outcome = gate.state === 'superseded' ? 'superseded' : 'converged';
  return finish(scope, { outcome, plan: current, approval: awaiting.length > 0 ? gate.view : undefined, inScopeTargets: inScope(current) });
}

const ABSENT_PERSON_ONLY_BY_LEAVER = 'absent-person-only-deprovisioned-by-a-leaver';
const PUBLISHES_START_DATE_WAIT = 'run-publishes-start-date-wait';

function notInDirectory(scope: RunScope, input: RunInput, plan: PersonPlan): Promise<RunResult> {
  const what = input.kind === 'joiner' || input.kind === 'rehire' ? 'nothing provisioned' : 'nothing changed; only a leaver (confirmed absence, admitted by the mass-change guard) cuts access';
  return finish(scope, { outcome: 'failed', retryable: false, plan, inScopeTargets: [], message: `person ${input.anchor} is not in the directory: ${what}` });
}

function inScope(plan: PersonPlan): string[] {
  return plan.targets.filter((t) => t.inScope && !t.problem).map((t) => t.target);
}

export async function joinerWorkflow(input: RunInput): Promise<RunResult> {
  return converge(input);
}

/** Recomputes from the person's current directory state: grants new, revokes what is no longer justified, scopes targets in or out. */
export async function moverWorkflow(input: RunInput): Promise<RunResult> {
  return converge(input);
}

/** Back during the grace period: the person workflow has cancelled the pending removal; access comes from current policy, on the same accounts. */
export async function rehireWorkflow(input: RunInput): Promise<RunResult> {
  return converge(input);
}

/** Suspend in every target at once. The person workflow keeps the removal timers, so a rehire can cancel them. */
export async function leaverWorkflow(input: RunInput): Promise<RunResult> {
  const scope = beginRun(input);
  const current = await planAndApplyAll(scope, (tp) => suspendTarget(scope.ctx, tp));
  scope.view.phase = 'suspended; removal after the grace period';
  setCurrentDetails(`suspended in ${[...scope.ctx.progress.values()].filter((t) => t.status === 'done').map((t) => t.target).join(', ') || 'no target'}; removal after each target's grace period`);
  return finish(scope, { outcome: 'converged', plan: current, inScopeTargets: [] });
}
