/**
 * Planning and applying target by target. Each target is read and changed on its own queue, side by
 * side with the others, and fails on its own: one target's outage or bad data never blocks another.
 * A target still failing after its activity retries is reported as failed (with whether it may pass
 * by itself), never skipped silently; the person workflow tries it again later.
 */
import { directoryActivities, failureMessage, identityConflictOf, isNonRetryable, targetActivities } from './person-activities';
import { dataProblemFor, heldAsConflict, matchKeysFor, planPerson, unreadableTarget, type PersonDesiredState, type PersonPlan, type TargetPlan } from '../policy/plan';
import type { Entitlement, MatchKeys } from '../domain/account';
import type { Person } from '../domain/person';
import type { RunOptions, ScheduledRemoval, TargetProgress } from './person-types';

export interface ApplyContext {
  anchor: string;
  options: RunOptions;
  reason: string;
  /** The accounts idsync manages for the person when the run started, by target. */
  links: Readonly<Record<string, string>>;
  /** Authoritative intake record, used when the directory does not have the person. */
  pushedPerson?: Person;
  /** Live progress, read by the status query. */
  progress: Map<string, TargetProgress>;
  removals: ScheduledRemoval[];
  /** Links this run established (account id) or found gone (null). */
  linked: Record<string, string | null>;
}

function report(ctx: ApplyContext, progress: TargetProgress): TargetProgress {
  ctx.progress.set(progress.target, progress);
  return progress;
}

function failed(ctx: ApplyContext, base: Omit<TargetProgress, 'status' | 'changes'>, err: unknown, prefix = ''): TargetProgress {
  // A target that stores anchors finds identity conflicts itself: the run ends `conflict`, not `partial`.
  const conflictWith = identityConflictOf(err);
  return report(ctx, { ...base, status: 'failed', changes: 0, error: `${prefix}${failureMessage(err)}`, retryable: !isNonRetryable(err), ...(conflictWith ? { conflictWith } : {}) });
}

/** The account the plan found (by link first) is the one every step acts on. */
function matchFor(ctx: ApplyContext, tp: TargetPlan): MatchKeys {
  const existing = tp.existing;
  return {
    anchor: ctx.anchor,
    ...(existing ? { accountId: existing.id, username: existing.username } : {}),
    ...(existing?.email ? { email: existing.email } : {}),
  };
}

function scheduleRemoval(ctx: ApplyContext, tp: TargetPlan): void {
  const existing = tp.existing!;
  ctx.removals.push({ target: tp.target, gracePeriodMs: tp.gracePeriodMs, accountId: existing.id, username: existing.username, ...(existing.email ? { email: existing.email } : {}) });
  ctx.linked[tp.target] = existing.id;
}

/** Reads the person and computes their desired state in every target (directory queue). */
export async function readDesiredState(ctx: ApplyContext, asOf: string): Promise<PersonDesiredState> {
  const activities = directoryActivities(ctx.options);
  // Only with a pushed record is the third argument sent, so runs without one keep their recorded commands.
  return ctx.pushedPerson ? activities.desiredState(ctx.anchor, asOf, ctx.pushedPerson) : activities.desiredState(ctx.anchor, asOf);
}

/**
 * Plans every target on its own queue and hands each plan to `apply` as soon as it is ready, so a
 * target whose reads keep failing never holds up the others. Returns the person's whole plan.
 */
export async function planAndApply(ctx: ApplyContext, person: PersonDesiredState, apply: (tp: TargetPlan) => Promise<unknown>): Promise<PersonPlan> {
  const targets = await Promise.all(
    person.desired.targets.map(async (wanted) => {
      const tp = await planOne(ctx, person, wanted);
      // The linked account is gone from the target (deleted by hand, or removed): forget the link.
      if (ctx.links[tp.target] && !tp.existing && !tp.problem) ctx.linked[tp.target] = null;
      await apply(tp);
      return tp;
    }),
  );
  return planPerson(person.desired, targets, person);
}

/**
 * Below the default priority (3) of every other activity on a target's queue. The planning read
 * shares its target's rate-limited queue (its requests count in the target's budget) but costs fewer
 * requests than an apply step (HubSpot: 1 against 2). Served after waiting apply steps, a burst of
 * joiners keeps the queue's mix of plans and applies steady instead of planning everyone first
 * (a run of cheap reads, the budget unused) and then applying everyone (a run of dear writes, 429s),
 * so the budget can be set for the mix (config/demo.yaml).
 */
export const PLANNING_PRIORITY = { priorityKey: 5 } as const;

async function planOne(ctx: ApplyContext, person: PersonDesiredState, wanted: PersonDesiredState['desired']['targets'][number]): Promise<TargetPlan> {
  const settings = person.settings[wanted.target] ?? { mode: 'overwrite' };
  try {
    const match = matchKeysFor(person, wanted, ctx.links[wanted.target]);
    const tp = await targetActivities(wanted.target, ctx.options, PLANNING_PRIORITY).planTarget(wanted.target, wanted, match, settings, dataProblemFor(person.desired, wanted.target));
    return tp.existing && !tp.problem && ctx.links[tp.target] !== tp.existing.id ? await unlessHeldByAnother(ctx, tp) : tp;
  } catch (err) {
    const unreadable = unreadableTarget(wanted, settings, failureMessage(err), !isNonRetryable(err));
    const conflictWith = identityConflictOf(err);
    return conflictWith && unreadable.problem ? { ...unreadable, problem: { ...unreadable.problem, conflictWith } } : unreadable;
  }
}

/** An account found by username/e-mail rather than by this person's link: adopt it only if nobody else holds it. */
async function unlessHeldByAnother(ctx: ApplyContext, tp: TargetPlan): Promise<TargetPlan> {
  const directory = directoryActivities(ctx.options);
  const holders = (await directory.accountHolders(tp.target, tp.existing!.id)).filter((anchor) => anchor !== ctx.anchor);
  if (holders.length === 0) return tp;
  const held = heldAsConflict(tp, ctx.anchor, holders);
  await directory.recordAudit({ actor: 'idsync', action: 'identity-conflict', person: ctx.anchor, target: tp.target, after: { accountId: tp.existing!.id, heldBy: holders }, reason: held.problem!.message });
  return held;
}

/** Joiner path (in scope) or leaver path (scoped out) for one target; never throws. */
export async function applyTarget(ctx: ApplyContext, tp: TargetPlan): Promise<TargetProgress> {
  const existing = tp.existing;
  const path: TargetProgress['path'] = tp.inScope && tp.account ? 'provision' : existing && existing.active && !existing.suspended ? 'suspend' : 'none';
  const base = { target: tp.target, path, ...(existing ? { accountId: existing.id } : {}) };
  if (tp.problem) {
    const conflict = tp.problem.conflictWith ? { conflictWith: tp.problem.conflictWith } : {};
    return report(ctx, { target: tp.target, path, status: 'failed', changes: 0, error: tp.problem.message, retryable: tp.problem.retryable ?? false, ...conflict });
  }
  const act = targetActivities(tp.target, ctx.options);
  report(ctx, { ...base, status: 'running', changes: 0 });
  try {
    if (path === 'provision') {
      // Held privileged grants never reach account creation (e.g. a privileged profile) before approval.
      const account = await act.ensureAccount(tp.target, { ...tp.account!, ...(existing ? { accountId: existing.id } : {}), entitlements: tp.grantNow });
      ctx.linked[tp.target] = account.accountId;
      // A future starter's account waits without access: entitlements come with activation on the start date.
      const granted = tp.account!.active ? await act.ensureEntitlements(tp.target, ctx.anchor, account.accountId, tp.grantNow, tp.mode) : 0;
      return report(ctx, { ...base, accountId: account.accountId, status: 'done', changes: account.changes + granted });
    }
    if (path === 'suspend') {
      const changes = await act.suspendAccount(tp.target, matchFor(ctx, tp), `${ctx.reason}; ${tp.scopeReason}`);
      scheduleRemoval(ctx, tp);
      return report(ctx, { ...base, status: 'done', changes });
    }
    // Already suspended earlier and still out of scope: make sure its removal stays scheduled.
    if (existing && !tp.inScope) scheduleRemoval(ctx, tp);
    return report(ctx, { ...base, status: 'skipped', changes: 0 });
  } catch (err) {
    return failed(ctx, base, err);
  }
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
          failed(ctx, current, err, 'approved grants not applied: ');
        }
      }),
  );
}

/** Leaver: suspend the account (found by its link when the directory no longer names the person); removal follows after the target's grace period. */
export async function suspendTarget(ctx: ApplyContext, tp: TargetPlan): Promise<TargetProgress> {
  if (tp.problem) return report(ctx, { target: tp.target, path: 'suspend', status: 'failed', changes: 0, error: tp.problem.message, retryable: tp.problem.retryable ?? false });
  if (!tp.existing) return report(ctx, { target: tp.target, status: 'skipped', path: 'none', changes: 0 });
  const base = { target: tp.target, path: 'suspend' as const, accountId: tp.existing.id };
  report(ctx, { ...base, status: 'running', changes: 0 });
  try {
    const changes = await targetActivities(tp.target, ctx.options).suspendAccount(tp.target, matchFor(ctx, tp), ctx.reason);
    scheduleRemoval(ctx, tp);
    return report(ctx, { ...base, status: 'done', changes });
  } catch (err) {
    return failed(ctx, base, err);
  }
}
