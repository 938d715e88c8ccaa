/**
 * Applying a plan target by target. Targets run side by side and fail on their own: one target's
 * outage or bad data never blocks another, and each activity retries on its own queue.
 */
import { directoryActivities, failureMessage, targetActivities } from './person-activities';
import type { Entitlement } from '../targets/adapter';
import type { PersonPlan, RunOptions, ScheduledRemoval, TargetPlan, TargetProgress } from './person-types';

export interface ApplyContext {
  anchor: string;
  options: RunOptions;
  reason: string;
  /** Live progress, read by the status query. */
  progress: Map<string, TargetProgress>;
  removals: ScheduledRemoval[];
}

function report(ctx: ApplyContext, progress: TargetProgress): TargetProgress {
  ctx.progress.set(progress.target, progress);
  return progress;
}

function removalFor(tp: TargetPlan): ScheduledRemoval {
  return { target: tp.target, gracePeriodMs: tp.gracePeriodMs, username: tp.existing?.username, email: tp.existing?.email };
}

/** Joiner path (in scope) or leaver path (scoped out) for one target; never throws. */
export async function applyTarget(ctx: ApplyContext, tp: TargetPlan): Promise<TargetProgress> {
  const path: TargetProgress['path'] = tp.inScope && tp.account ? 'provision' : tp.existing && tp.existing.active && !tp.existing.suspended ? 'suspend' : 'none';
  if (tp.problem) return report(ctx, { target: tp.target, status: 'failed', path, changes: 0, error: tp.problem.message });
  const act = targetActivities(tp.target, ctx.options);
  report(ctx, { target: tp.target, status: 'running', path, changes: 0 });
  try {
    if (path === 'provision') {
      // Held privileged grants never reach account creation (e.g. a privileged profile) before approval.
      const account = await act.ensureAccount(tp.target, { ...tp.account!, entitlements: tp.grantNow });
      const granted = await act.ensureEntitlements(tp.target, ctx.anchor, account.accountId, tp.grantNow, tp.mode);
      return report(ctx, { target: tp.target, status: 'done', path, accountId: account.accountId, changes: account.changes + granted });
    }
    if (path === 'suspend') {
      const match = { anchor: ctx.anchor, username: tp.existing!.username, email: tp.existing!.email };
      const changes = await act.suspendAccount(tp.target, match, `${ctx.reason}; ${tp.scopeReason}`);
      ctx.removals.push(removalFor(tp));
      return report(ctx, { target: tp.target, status: 'done', path, accountId: tp.existing!.id, changes });
    }
    // Already suspended earlier and still out of scope: make sure its removal stays scheduled.
    if (tp.existing && !tp.inScope) ctx.removals.push(removalFor(tp));
    return report(ctx, { target: tp.target, status: 'skipped', path, accountId: tp.existing?.id, changes: 0 });
  } catch (err) {
    return report(ctx, { target: tp.target, status: 'failed', path, changes: 0, error: failureMessage(err) });
  }
}

export async function applyPlan(ctx: ApplyContext, plan: PersonPlan): Promise<TargetProgress[]> {
  return Promise.all(plan.targets.map((tp) => applyTarget(ctx, tp)));
}

/** After approval: grant the held entitlements on the accounts that were provisioned. */
export async function applyApprovedGrants(ctx: ApplyContext, plan: PersonPlan, approvalId: string): Promise<void> {
  await Promise.all(
    plan.targets
      .filter((tp) => tp.heldForApproval.length > 0 && ctx.progress.get(tp.target)?.status === 'done')
      .map(async (tp) => {
        const current = ctx.progress.get(tp.target)!;
        const all: Entitlement[] = [...tp.grantNow, ...tp.heldForApproval];
        try {
          const changes = await targetActivities(tp.target, ctx.options).ensureEntitlements(tp.target, ctx.anchor, current.accountId!, all, tp.mode, approvalId);
          report(ctx, { ...current, changes: current.changes + changes });
        } catch (err) {
          report(ctx, { ...current, status: 'failed', error: `approved grants not applied: ${failureMessage(err)}` });
        }
      }),
  );
}

/** Leaver: suspend every account at once; removal follows after each target's grace period. */
export async function suspendEverywhere(ctx: ApplyContext, plan: PersonPlan): Promise<TargetProgress[]> {
  return Promise.all(
    plan.targets.map(async (tp): Promise<TargetProgress> => {
      if (!tp.existing) return report(ctx, { target: tp.target, status: 'skipped', path: 'none', changes: 0 });
      const match = { anchor: ctx.anchor, username: tp.existing.username, email: tp.existing.email };
      report(ctx, { target: tp.target, status: 'running', path: 'suspend', accountId: tp.existing.id, changes: 0 });
      try {
        const changes = await targetActivities(tp.target, ctx.options).suspendAccount(tp.target, match, ctx.reason);
        ctx.removals.push(removalFor(tp));
        return report(ctx, { target: tp.target, status: 'done', path: 'suspend', accountId: tp.existing.id, changes });
      } catch (err) {
        return report(ctx, { target: tp.target, status: 'failed', path: 'suspend', accountId: tp.existing.id, changes: 0, error: failureMessage(err) });
      }
    }),
  );
}

export async function recordPlan(ctx: ApplyContext, plan: PersonPlan, kind: string): Promise<void> {
  await directoryActivities(ctx.options).recordAudit({
    actor: 'idsync',
    action: 'plan',
    person: ctx.anchor,
    reason: `${kind}: ${ctx.reason}`,
    after: plan.targets.map((t) => ({ target: t.target, inScope: t.inScope, lines: t.lines })),
  });
}
