import type { ApprovalRequirement } from './types';

export interface Approver {
  anchor: string;
  /** The approver's directory groups (Person.groups). */
  groups: readonly string[];
}

export type ApprovalDecision = { allowed: true; as: 'manager' | 'group'; group?: string } | { allowed: false; reason: string };

/**
 * Whether `approver` may approve the privileged grants in `requirement`. Never the person themself,
 * even when they are in an approver group or recorded as their own manager.
 */
export function mayApprove(approver: Approver, requirement: Pick<ApprovalRequirement, 'requestedFor' | 'managerAnchor' | 'approverGroups'>): ApprovalDecision {
  if (approver.anchor === requirement.requestedFor) {
    return { allowed: false, reason: `${approver.anchor} cannot approve their own privileged access` };
  }
  if (requirement.managerAnchor && approver.anchor === requirement.managerAnchor) return { allowed: true, as: 'manager' };
  const mine = new Set(approver.groups.map((g) => g.toLowerCase()));
  const group = requirement.approverGroups.find((g) => mine.has(g.toLowerCase()));
  if (group) return { allowed: true, as: 'group', group };
  const who = [requirement.managerAnchor && 'their manager', requirement.approverGroups.length > 0 && `members of ${requirement.approverGroups.join(', ')}`]
    .filter(Boolean)
    .join(' or ');
  return { allowed: false, reason: `${approver.anchor} may not approve for ${requirement.requestedFor}; approvers are ${who || 'nobody (check policy.approvals)'}` };
}
