/** Human-readable text for the CLI; `--json` prints the underlying objects instead. */
import { formatPlan, type PersonPlan as PolicyPersonPlan } from '../policy/plan';
import type { ApprovalAnswer, PersonPlan, PersonStatus, RunView } from '../workflows/person-types';
import type { AuditVerification } from '../audit';

/** The policy's plan text (rule behind every line), plus what only the workflow side knows: held grants and blocked targets. */
export function formatPersonPlan(plan: PersonPlan, label: string): string {
  const policyPlan: PolicyPersonPlan = {
    anchor: plan.anchor,
    label,
    targets: plan.targets.map((t) => ({
      desired: {
        target: t.target,
        targetKind: t.targetKind,
        inScope: t.inScope,
        scopeReason: t.scopeReason,
        scopeRule: t.scopeRule,
        account: t.account,
        blocked: t.problem !== undefined,
        conflicts: t.conflicts,
        gracePeriodMs: t.gracePeriodMs,
      },
      mode: t.mode,
      accountFound: t.existing !== undefined,
      changes: t.lines,
    })),
    problems: plan.problems,
    activateAt: plan.activateAt,
    leaveAt: plan.leaveAt,
  };
  const lines = [formatPlan(policyPlan)];
  if (!plan.found) lines.push('', `${label} is not in the directory: every account would be suspended, then removed after its grace period.`);
  const held = plan.targets.flatMap((t) => t.heldForApproval.map((e) => `  ${t.target}: ${e.kind} ${JSON.stringify(e.name)}${e.rule ? `  [rule ${e.rule}]` : ''}`));
  if (held.length > 0) lines.push('', 'Held for approval (privileged):', ...held);
  const problems = plan.targets.filter((t) => t.problem).map((t) => `  ${t.target}: ${t.problem!.message}`);
  if (problems.length > 0) lines.push('', 'Not provisioned (data problems):', ...problems);
  lines.push('', 'Dry run: nothing was applied.');
  return lines.join('\n');
}

export function formatStatus(status: PersonStatus, run: RunView | undefined): string {
  const lines = [`Person ${status.anchor}`];
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
  for (const r of status.pendingRemovals) lines.push(`  removal from ${r.target} at ${r.removeAt} (grace period)`);
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
