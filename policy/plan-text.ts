/**
 * The plan as text, for `idsync plan` and the approval request: the rule behind every line, held
 * grants, blocked targets and who may approve. Stable for the same plan (targets by name, lines in
 * plan order), so two plans can be diffed.
 */
import { formatDurationMs, type PersonPlan, type PlannedChange } from './plan';

const SIGNS: Record<PlannedChange['action'], string> = {
  create: '+', grant: '+', link: '~', update: '~', activate: '~', unsuspend: '~',
  revoke: '-', suspend: '-', deactivate: '-', remove: '-', keep: '=',
};

function show(value: unknown): string {
  if (value === undefined || value === null) return '(empty)';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function describeChange(c: PlannedChange): string[] {
  const rule = c.rule ? `  [rule ${c.rule}]` : '';
  const [kind, ...nameParts] = c.subject.split(':');
  const name = nameParts.join(':');
  switch (c.action) {
    case 'create': {
      const after = c.after as { username: string; active: boolean; attributes: Record<string, unknown> };
      const lines = [`+ create account ${after.username}${after.active ? '' : ' (inactive)'}${rule}`];
      for (const [attr, value] of Object.entries(after.attributes)) lines.push(`    ${attr} = ${show(value)}`);
      return lines;
    }
    case 'grant':
      return [`+ grant ${kind} ${show(name)}${c.before !== undefined ? ` (replaces ${show(c.before)})` : ''}${c.privileged ? ' [privileged: needs approval]' : ''}${rule}`];
    case 'revoke':
    case 'keep':
      return [`${SIGNS[c.action]} ${c.action} ${kind} ${show(name)}  (${c.reason})${rule}`];
    case 'update':
    case 'link': {
      const subject = c.subject.startsWith('attribute:') ? `attribute ${c.subject.slice('attribute:'.length)}` : c.subject;
      const note = c.action === 'link' ? `  (${c.reason})` : '';
      return [`~ ${c.action} ${subject}: ${show(c.before)} -> ${show(c.after)}${note}${rule}`];
    }
    default:
      return [`${SIGNS[c.action]} ${c.action} account  (${c.reason})${rule}`];
  }
}

/** Human-readable text plan. */
export function formatPlan(plan: PersonPlan): string {
  const label = plan.username;
  const lines = [`Plan for ${label ?? plan.anchor}${label ? ` (anchor ${plan.anchor})` : ''}`];
  if (plan.activateAt) lines.push(`  starts ${plan.activateAt}: accounts wait inactive (or are created) until then, without access`);
  if (plan.leaveAt) lines.push(`  leaves ${plan.leaveAt}: access ends everywhere then`);
  if (plan.reevaluateAt && plan.reevaluateAt !== plan.activateAt && plan.reevaluateAt !== plan.leaveAt) {
    lines.push(`  accounts are pre-created from ${plan.reevaluateAt}`);
  }
  for (const t of plan.targets) {
    const kind = t.targetKind ? ` (${t.targetKind}, ${t.mode})` : ` (${t.mode})`;
    lines.push('', `${t.target}${kind}: ${t.scopeReason}`);
    if (t.problem) lines.push(`  ! not touched until this is resolved: ${t.problem.message}`);
    else if (t.lines.length === 0) lines.push(t.existing || t.inScope ? '  no changes' : '  no account, nothing to do');
    for (const change of t.lines) lines.push(...describeChange(change).map((l) => `  ${l}`));
    for (const conflict of t.conflicts ?? []) {
      const losers = conflict.overruled.map((o) => `${show(o.name)} (${o.rule}, priority ${o.priority})`).join(', ');
      lines.push(`  ! conflict on ${conflict.kind}: ${show(conflict.chosen.name)} from ${conflict.chosen.rule} wins by ${conflict.resolvedBy} over ${losers}`);
    }
    if (t.inScope && !t.problem) lines.push(`  grace period before removal: ${formatDurationMs(t.gracePeriodMs)}`);
  }
  if (plan.problems.length > 0) {
    lines.push('', 'Problems:');
    for (const p of plan.problems) lines.push(`  ! ${p.target} ${p.field}: ${p.message}`);
  }
  const held = plan.targets.flatMap((t) => t.heldForApproval.map((e) => ({ target: t.target, ...e })));
  if (held.length > 0) {
    const a = plan.approval;
    const who = a ? [a.managerAnchor && `manager ${a.managerAnchor}`, a.approverGroups.length > 0 && `a member of ${a.approverGroups.join(', ')}`].filter(Boolean).join(' or ') : '';
    lines.push('', `Approval: ${held.length} privileged grant(s) wait for ${who || 'nobody (see problems)'} within ${formatDurationMs(plan.approvalTimeoutMs)}:`);
    for (const g of held) lines.push(`  ${g.target} ${g.kind} ${show(g.name)}${g.rule ? `  [rule ${g.rule}]` : ''}`);
  }
  if (!plan.found) lines.push('', `${label ?? plan.anchor} is not in the directory: every account idsync links to them is suspended, then removed after its grace period.`);
  return `${lines.join('\n')}\n`;
}
