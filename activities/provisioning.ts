/**
 * Generic provisioning activities. The same functions are registered on the directory queue and on
 * every target's queue (TASK_QUEUES.target(name)), so each target's server-side rate limit applies;
 * workflows route by task queue and pass the target name. Every adapter call is an idempotent ensure;
 * audit records carry a key derived from the activity's identity, so a retried attempt logs once.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS, linkValue } from '../lib/search-attributes';
import { WORKFLOW_TYPES } from '../lib/names';
import type { Runtime } from '../app/runtime';
import type { AuditRecordInput } from '../audit/types';
import type { Person } from '../domain/person';
import type { TargetAdapter } from '../targets/adapter';
import type { AccountState, Change, DesiredAccount, Entitlement, EntitlementMode, MatchKeys } from '../domain/account';
import { nonRetryable } from '../lib/errors';
import { readDesiredState, readTargetPlan } from './planning';
import { mayApprove } from '../policy/approvals';
import type { PolicyConfig } from '../policy/config';
import type { DesiredTargetState } from '../policy/types';
import type { PersonDesiredState, TargetPlan, TargetProblem, TargetSettings } from '../policy/plan';

export interface ApproverCheck {
  authorized: boolean;
  /** Why, in words fit for the audit log and the CLI. */
  reason: string;
  approverAnchor?: string;
}

export interface ProvisioningDeps {
  /** Planning time; tests on a time-skipping server pass its clock. */
  clock?: () => Date;
  /** Client of the namespace the person workflows run in: who holds a link is read from their search attributes. */
  client?: Client;
}

/** Who and where the current activity runs for: the audit context of every record it writes. */
function activityScope(): { workflowId?: string; runId?: string; keyPrefix?: string } {
  try {
    const info = Context.current().info;
    const execution = info.workflowExecution;
    if (!execution) return {};
    const { workflowId, runId } = execution;
    return { workflowId, runId, keyPrefix: `${workflowId}/${runId}/${info.activityId}` };
  } catch {
    return {}; // called outside an activity (CLI dry run): no idempotency key needed
  }
}

function adapterFor(runtime: Runtime, target: string): TargetAdapter {
  const adapter = runtime.adapters.get(target);
  if (!adapter) throw nonRetryable('ConfigError', `no adapter configured for target ${target}`, { target });
  return adapter;
}

export function createProvisioningActivities(runtime: Runtime, deps: ProvisioningDeps = {}) {
  const clock = deps.clock ?? (() => new Date());

  /** All of an activity's changes are appended at once, so they share one group commit (one fdatasync). */
  async function auditChanges(anchor: string, changes: Change[], why?: { rule?: string; reason?: string }): Promise<void> {
    const scope = activityScope();
    await Promise.all(
      changes.map((change, index) =>
        runtime.audit.append({
          actor: 'idsync',
          action: change.action,
          person: anchor,
          target: change.target,
          before: change.before,
          after: change.after === undefined ? { subject: change.subject, accountId: change.accountId } : { subject: change.subject, accountId: change.accountId, value: change.after },
          rule: change.rule ?? why?.rule,
          reason: why?.reason ?? change.subject,
          workflowId: scope.workflowId,
          runId: scope.runId,
          key: scope.keyPrefix && `${scope.keyPrefix}/${index}/${change.action}/${change.subject}`,
        }),
      ),
    );
  }

  return {
    async readPerson(anchor: string): Promise<Person | null> {
      return runtime.directory.getPerson(anchor);
    },

    /**
     * The person and the policy -> the desired state in every target (directory queue). `asOf` is the
     * workflow's (deterministic) time, so start and leave dates are judged on its clock.
     */
    async desiredState(anchor: string, asOf?: string, pushedPerson?: Person): Promise<PersonDesiredState> {
      return readDesiredState(runtime, anchor, asOf ? new Date(asOf) : clock(), pushedPerson);
    },

    /**
     * One target's account against its desired state -> that target's plan, on the target's own
     * queue (its rate limit applies to the read). The plan is recorded in the audit log before
     * anything is applied; a transient read failure is retried by the activity retry policy.
     */
    async planTarget(target: string, wanted: DesiredTargetState, match: MatchKeys, settings: TargetSettings, problem?: TargetProblem): Promise<TargetPlan> {
      const plan = await readTargetPlan(runtime, wanted, match, settings, problem);
      const scope = activityScope();
      await runtime.audit.append({
        actor: 'idsync',
        action: 'plan',
        person: match.anchor,
        target,
        after: { inScope: plan.inScope, accountId: plan.existing?.id, lines: plan.lines, problem: plan.problem },
        rule: plan.scopeRule,
        reason: plan.scopeReason,
        workflowId: scope.workflowId,
        runId: scope.runId,
        key: scope.keyPrefix && `${scope.keyPrefix}/plan`,
      });
      return plan;
    },

    /**
     * The people whose person workflow links to this account (IdsyncLinks), from Temporal's
     * visibility: an account matched by username/e-mail that someone else holds is never taken over.
     */
    async accountHolders(target: string, accountId: string): Promise<string[]> {
      if (!deps.client) throw nonRetryable('ConfigError', 'this worker has no Temporal client to look up who holds an account', { target });
      const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      const query = `WorkflowType = ${quote(WORKFLOW_TYPES.personLifecycle)} AND ExecutionStatus = 'Running' AND ${SEARCH_ATTRIBUTE_KEYS.links.name} = ${quote(linkValue(target, accountId))}`;
      const anchors: string[] = [];
      for await (const wf of deps.client.workflow.list({ query })) {
        const anchor = wf.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.person);
        if (anchor) anchors.push(anchor);
      }
      return [...new Set(anchors)].sort();
    },

    /** A workflow decision (plan, approval, cancellation) written to the audit log, once per activity. */
    async recordAudit(record: AuditRecordInput): Promise<void> {
      const scope = activityScope();
      await runtime.audit.append({ ...record, workflowId: record.workflowId ?? scope.workflowId, runId: record.runId ?? scope.runId, key: record.key ?? scope.keyPrefix });
    },

    async findAccount(target: string, match: MatchKeys): Promise<AccountState | null> {
      return adapterFor(runtime, target).findAccount(match);
    },

    async ensureAccount(target: string, desired: DesiredAccount): Promise<{ accountId: string; created: boolean; changes: number }> {
      const result = await adapterFor(runtime, target).ensureAccount(desired);
      await auditChanges(desired.anchor, result.changes);
      return { accountId: result.accountId, created: result.created, changes: result.changes.length };
    },

    async ensureEntitlements(target: string, anchor: string, accountId: string, desired: Entitlement[], mode: EntitlementMode, approval?: string): Promise<number> {
      const changes = await adapterFor(runtime, target).ensureEntitlements(accountId, desired, mode);
      const rules = new Map(desired.map((e) => [`${e.kind}:${e.name}`, e.rule]));
      await auditChanges(
        anchor,
        changes.map((c) => ({ ...c, rule: c.rule ?? rules.get(c.subject) })),
        approval ? { reason: `approved: ${approval}` } : undefined,
      );
      return changes.length;
    },

    async suspendAccount(target: string, match: MatchKeys, reason: string): Promise<number> {
      const changes = await adapterFor(runtime, target).suspend(match);
      await auditChanges(match.anchor, changes, { reason });
      return changes.length;
    },

    async removeAccount(target: string, match: MatchKeys, reason: string): Promise<number> {
      const changes = await adapterFor(runtime, target).remove(match);
      await auditChanges(match.anchor, changes, { reason });
      return changes.length;
    },

    /** The person's manager or a member of a configured approver group may approve; never the person themself. */
    async authorizeApprover(personAnchor: string, approver: string): Promise<ApproverCheck> {
      const query = approver.includes('@') ? { email: approver } : { username: approver };
      const who = await runtime.directory.findPerson(query);
      if (!who) return { authorized: false, reason: `approver ${approver} is not in the directory` };
      if (who.anchor === personAnchor) return { authorized: false, reason: `${approver} cannot approve their own access`, approverAnchor: who.anchor };
      if (!who.enabled) return { authorized: false, reason: `approver ${approver} is disabled in the directory`, approverAnchor: who.anchor };
      const { approvers } = (runtime.config.policy as PolicyConfig).approvals;
      const person = await runtime.directory.getPerson(personAnchor);
      const decision = mayApprove(who, {
        requestedFor: personAnchor,
        managerAnchor: approvers.manager ? person?.managerAnchor : undefined,
        approverGroups: approvers.groups,
      });
      if (!decision.allowed) return { authorized: false, reason: `${approver}: ${decision.reason}`, approverAnchor: who.anchor };
      const as = decision.as === 'manager' ? `the manager of ${personAnchor}` : `a member of approver group ${decision.group}`;
      return { authorized: true, reason: `${approver} is ${as}`, approverAnchor: who.anchor };
    },
  };
}

export type ProvisioningActivities = ReturnType<typeof createProvisioningActivities>;
