/**
 * One run per identity event, started by the person workflow: joiner, mover, rehire (all converge
 * the person's accounts to current policy) and leaver (suspend everywhere). Runs are thin: the plan
 * comes from an activity, so policy changes never make a replay diverge.
 */
import { allHandlersFinished, condition, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { runStatusQuery, supersedeSignal } from './person-messages';
import { directoryActivities, SA } from './person-activities';
import { ApprovalGate } from './approval';
import { applyApprovedGrants, applyPlan, recordPlan, suspendEverywhere, type ApplyContext } from './jml-apply';
import type { PersonPlan, RunInput, RunResult, RunView, TargetProgress } from './person-types';

interface RunScope {
  input: RunInput;
  ctx: ApplyContext;
  view: RunView;
  superseded: () => boolean;
}

function beginRun(input: RunInput): RunScope {
  const view: RunView = { workflowId: workflowInfo().workflowId, kind: input.kind, eventId: input.eventId, phase: 'planning', targets: [] };
  const ctx: ApplyContext = { anchor: input.anchor, options: input.options, reason: input.reason, progress: new Map(), removals: [] };
  let supersededBy: string | undefined;
  setHandler(supersedeSignal, ({ byEventId }) => void (supersededBy = byEventId));
  setHandler(runStatusQuery, () => ({ ...view, targets: [...ctx.progress.values()] }));
  return { input, ctx, view, superseded: () => supersededBy !== undefined };
}

async function plan(scope: RunScope): Promise<PersonPlan> {
  scope.view.phase = 'planning';
  const planned = await directoryActivities(scope.input.options).planPerson(scope.input.anchor, new Date().toISOString());
  scope.view.plan = planned;
  await recordPlan(scope.ctx, planned, scope.input.kind);
  upsertSearchAttributes([{ key: SA.targets, value: planned.targets.filter((t) => t.inScope).map((t) => t.target) }]);
  return planned;
}

async function finish(scope: RunScope, result: Omit<RunResult, 'eventId' | 'kind' | 'workflowId' | 'targets' | 'scheduledRemovals'>): Promise<RunResult> {
  await condition(allHandlersFinished);
  const targets: TargetProgress[] = [...scope.ctx.progress.values()];
  const failed = targets.filter((t) => t.status === 'failed');
  const outcome = result.outcome === 'completed' && failed.length > 0 ? 'partial' : result.outcome;
  const message = result.message ?? (failed.length > 0 ? failed.map((t) => t.error).join('; ') : undefined);
  upsertMemo({ outcome, failedTargets: failed.map((t) => t.target) });
  return {
    ...result,
    outcome,
    message,
    eventId: scope.input.eventId,
    kind: scope.input.kind,
    workflowId: scope.view.workflowId,
    targets,
    scheduledRemovals: scope.ctx.removals,
  };
}

/** Shared by joiner, mover and rehire: converge every target to current policy. */
async function converge(input: RunInput): Promise<RunResult> {
  const scope = beginRun(input);
  let current: PersonPlan | undefined;
  const gate = new ApprovalGate(input, () => current?.username);
  gate.install();
  current = await plan(scope);
  if (!current.found && (input.kind === 'joiner' || input.kind === 'rehire')) {
    return finish(scope, { outcome: 'failed', plan: current, inScopeTargets: [], message: `person ${input.anchor} is not in the directory: nothing provisioned` });
  }
  scope.view.phase = 'applying';
  await applyPlan(scope.ctx, current);
  // Future starter: accounts exist inactive; activate on the start date (durable timer), from a fresh plan.
  while (current.activateAt) {
    scope.view.phase = `waiting for start date ${current.activateAt}`;
    const wait = Math.max(1000, Date.parse(current.activateAt) - Date.now());
    if (await condition(scope.superseded, wait)) {
      return finish(scope, { outcome: 'superseded', plan: current, inScopeTargets: inScope(current), message: 'a newer event replaced this run before the start date' });
    }
    current = await plan(scope);
    scope.view.phase = 'activating';
    await applyPlan(scope.ctx, current);
  }
  const awaiting = current.targets.filter((t) => t.heldForApproval.length > 0 && scope.ctx.progress.get(t.target)?.status === 'done');
  if (awaiting.length > 0) {
    scope.view.phase = 'waiting for approval';
    scope.view.approval = gate.view;
    const state = await gate.request(awaiting, input.options.approvalTimeoutMs ?? current.approvalTimeoutMs, scope.superseded);
    if (state === 'approved') {
      scope.view.phase = 'applying approved grants';
      await applyApprovedGrants(scope.ctx, current, `${gate.view.decidedBy} (${scope.view.workflowId})`);
    }
  }
  scope.view.phase = 'finished';
  const outcome = gate.state === 'superseded' ? 'superseded' : 'completed';
  return finish(scope, { outcome, plan: current, approval: awaiting.length > 0 ? gate.view : undefined, inScopeTargets: inScope(current) });
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
  const current = await plan(scope);
  scope.view.phase = 'suspending';
  await suspendEverywhere(scope.ctx, current);
  scope.view.phase = 'suspended; removal after the grace period';
  return finish(scope, { outcome: 'completed', plan: current, inScopeTargets: [] });
}
