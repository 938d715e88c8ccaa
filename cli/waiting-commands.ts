/**
 * `idsync approvals [--as <approver>]` and `idsync runs --partial`: what waits for a person and what
 * went wrong, found through the search attributes every run and person workflow publishes
 * (IdsyncApprovalState, IdsyncOutcome), then read by query. Nothing here changes anything.
 */
import type { Client } from '@temporalio/client';
import { EXIT } from '../app/startup';
import type { DirectorySource } from '../directory/source';
import type { PolicyConfig } from '../policy/config';
import { mayApprove } from '../policy/approvals';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import { WORKFLOW_TYPES } from '../lib/names';
import { personStatusQuery, runStatusQuery } from '../workflows/person-messages';
import type { ApprovalRequestView, PersonStatus } from '../workflows/person-types';
import type { CommandResult } from './commands';

/** More than this many waiting runs are counted, not all listed: the list is for a person to read. */
const LISTED = 200;

export interface WaitingApproval {
  run: string;
  person: string;
  requestedAt?: string;
  deadline?: string;
  grants: ApprovalRequestView['grants'];
}

async function pendingApprovals(client: Client): Promise<{ approvals: WaitingApproval[]; more: number }> {
  const approvals: WaitingApproval[] = [];
  let more = 0;
  const query = `${SEARCH_ATTRIBUTE_KEYS.approvalState.name} = "pending" AND ExecutionStatus = "Running"`;
  for await (const wf of client.workflow.list({ query })) {
    if (approvals.length >= LISTED) {
      more += 1;
      continue;
    }
    const view = await client.workflow.getHandle(wf.workflowId).query(runStatusQuery).catch(() => undefined);
    const approval = view?.approval;
    if (!approval || approval.state !== 'pending') continue;
    approvals.push({ run: wf.workflowId, person: approval.person, requestedAt: approval.requestedAt, deadline: approval.deadline, grants: approval.grants });
  }
  return { approvals, more };
}

/** The approvals `approver` may decide: as the person's manager or as a member of an approver group (never their own). */
async function decidableBy(directory: DirectorySource, policy: PolicyConfig, approver: string, approvals: WaitingApproval[]): Promise<WaitingApproval[] | string> {
  const who = await directory.findPerson(approver.includes('@') ? { email: approver } : { username: approver });
  if (!who) return `approver ${approver} is not in the directory`;
  if (!who.enabled) return `approver ${approver} is disabled in the directory`;
  const { approvers } = policy.approvals;
  const mine: WaitingApproval[] = [];
  for (const a of approvals) {
    const person = approvers.manager ? await directory.getPerson(a.person) : null;
    const decision = mayApprove(who, { requestedFor: a.person, managerAnchor: person?.managerAnchor, approverGroups: approvers.groups });
    if (decision.allowed) mine.push(a);
  }
  return mine;
}

function formatApprovals(approvals: WaitingApproval[], more: number, as?: string): string {
  const heading = as ? `Approvals ${as} may decide` : 'Approvals waiting';
  if (approvals.length === 0) return `${heading}: none`;
  const lines = [`${heading}: ${approvals.length}${more > 0 ? ` (and ${more} more not listed)` : ''}`];
  for (const a of approvals) {
    lines.push(`  ${a.run}`, `    person ${a.person}, asked ${a.requestedAt ?? '?'}, deadline ${a.deadline ?? 'none'}`);
    for (const g of a.grants) lines.push(`    ${g.target}: ${g.kind} ${g.name}${g.rule ? ` (rule ${g.rule})` : ''}`);
    lines.push(`    decide: idsync approve|reject ${a.run} --as <approver> [--comment <why>]`);
  }
  return lines.join('\n');
}

export async function approvalsCommand(client: Client, directory: DirectorySource, policy: PolicyConfig, as?: string): Promise<CommandResult> {
  const { approvals, more } = await pendingApprovals(client);
  if (!as) return { code: EXIT.ok, text: formatApprovals(approvals, more), json: { approvals, more } };
  const mine = await decidableBy(directory, policy, as, approvals);
  if (typeof mine === 'string') return { code: EXIT.failure, text: mine, json: { error: mine } };
  return { code: EXIT.ok, text: formatApprovals(mine, more, as), json: { approver: as, approvals: mine, more } };
}

export interface ShortPerson {
  workflowId: string;
  person: string;
  outcome: string;
  reason?: string;
  nextRetry?: string;
}

/** People whose last run left them short (`partial`, or `conflict` / `failed`), with why and when idsync tries again. */
export async function runsCommand(client: Client, outcome: 'partial' | 'conflict' | 'failed'): Promise<CommandResult> {
  const people: ShortPerson[] = [];
  let more = 0;
  const query = `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND ${SEARCH_ATTRIBUTE_KEYS.outcome.name} = "${outcome}" AND ExecutionStatus = "Running"`;
  for await (const wf of client.workflow.list({ query })) {
    if (people.length >= LISTED) {
      more += 1;
      continue;
    }
    const status: PersonStatus | undefined = await client.workflow.getHandle(wf.workflowId).query(personStatusQuery).catch(() => undefined);
    people.push({
      workflowId: wf.workflowId,
      person: status?.anchor ?? wf.workflowId,
      outcome: status?.outcome ?? outcome,
      ...(status?.outcomeReason ? { reason: status.outcomeReason } : {}),
      ...(status?.retry?.dueAt ? { nextRetry: status.retry.dueAt } : {}),
    });
  }
  const lines = [`People whose last run ended ${outcome}: ${people.length}${more > 0 ? ` (and ${more} more not listed)` : ''}`];
  for (const p of people) {
    lines.push(`  ${p.person}${p.reason ? `: ${p.reason}` : ''}`);
    lines.push(`    ${p.nextRetry ? `tried again at ${p.nextRetry}` : 'not retried by itself: needs a person'}; details: idsync status ${p.person}`);
  }
  return { code: EXIT.ok, text: lines.join('\n'), json: { outcome, people, more } };
}
