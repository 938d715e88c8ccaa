/** Human-readable text for the CLI; `--json` prints the underlying objects instead. */
import { formatPlan } from '../policy/plan-text';
import type { PersonPlan } from '../policy/plan';
import type { ApprovalAnswer, PersonStatus, RunView } from '../workflows/person-types';
import type { AuditVerification } from '../audit';

/** The plan text (policy/plan-text.ts: the rule behind every line), marked as a dry run. */
export function formatPersonPlan(plan: PersonPlan): string {
  return `${formatPlan(plan)}\nDry run: nothing was applied.`;
}

export function formatStatus(status: PersonStatus, run: RunView | undefined): string {
  const lines = [`Person ${status.anchor}`];
  if (status.outcome) lines.push(`  outcome: ${status.outcome}${status.outcomeReason ? ` (${status.outcomeReason})` : ''}`);
  if (status.retry && !status.retry.queuedEventId) lines.push(`  next retry: attempt ${status.retry.attempt} at ${status.retry.dueAt}`);
  const links = Object.entries(status.links ?? {});
  if (links.length > 0) lines.push(`  accounts: ${links.map(([target, link]) => `${target} ${link.accountId}`).join(', ')}`);
  if (status.activeRun) lines.push(`  running: ${status.activeRun.kind} ${status.activeRun.workflowId} (since ${status.activeRun.startedAt})${run ? `, ${run.phase}` : ''}`);
  else lines.push('  running: nothing');
  for (const t of run?.targets ?? []) lines.push(`    ${t.target}: ${t.status} (${t.path})${t.error ? `: ${t.error}` : ''}`);
  const approval = run?.approval;
  if (approval && approval.state === 'pending') {
    lines.push(`  approval pending since ${approval.requestedAt}, deadline ${approval.deadline}:`);
    for (const g of approval.grants) lines.push(`    ${g.target}: ${g.kind} ${JSON.stringify(g.name)}${g.rule ? ` [rule ${g.rule}]` : ''}`);
  }
  if (status.queued.length > 0) lines.push(`  queued: ${status.queued.map((q) => `${q.kind} ${q.eventId}`).join(', ')}`);
  if (status.pendingLeave) lines.push(`  leave scheduled: ${status.pendingLeave.dueAt} (${status.pendingLeave.reason})`);
  for (const r of status.pendingRemovals) lines.push(`  removal from ${r.target} at ${r.removeAt} (${r.lastError ? `retry after: ${r.lastError}` : 'grace period'})`);
  const last = status.lastResult;
  if (last) {
    lines.push(`  last run: ${last.kind} ${last.workflowId}: ${last.outcome}${last.message ? ` (${last.message})` : ''}`);
    for (const t of last.targets) lines.push(`    ${t.target}: ${t.status} (${t.path}, ${t.changes} change(s))${t.error ? `: ${t.error}` : ''}`);
    if (last.approval && last.approval.state !== 'none') lines.push(`    approval: ${last.approval.state}${last.approval.decidedBy ? ` by ${last.approval.decidedBy}` : ''}`);
  }
  if (status.recent.length > 0) {
    lines.push('  recent events:');
    for (const o of status.recent.slice(-10)) lines.push(`    ${o.at} ${o.kind} ${o.eventId}: ${o.outcome}${o.message ? ` (${o.message})` : ''}`);
  }
  return lines.join('\n');
}

export function formatApproval(answer: ApprovalAnswer, runId: string): string {
  return `${answer.accepted ? 'accepted' : 'refused'}: ${answer.message} (run ${runId}, approval ${answer.state})`;
}

export function formatVerification(path: string, result: AuditVerification): string {
  return result.ok ? `audit log ${path}: intact, ${result.records} record(s)` : `audit log ${path}: BROKEN at line ${result.brokenLine}: ${result.problem}`;
}
