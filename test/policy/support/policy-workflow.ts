/**
 * A workflow that only runs the policy: proves computeDesiredState and the plan renderer load and
 * behave the same inside Temporal's deterministic sandbox (no zod, no Node APIs, no clock).
 */
import type { Person } from '../../../domain/person';
import type { PolicyConfig } from '../../../policy/config';
import { computeDesiredState, type PolicyTarget } from '../../../policy/desired-state';
import { planPersonFromAccounts } from '../../../policy/plan';
import { formatPlan } from '../../../policy/plan-text';
import type { DesiredState } from '../../../policy/types';

export async function policyInSandboxWorkflow(
  person: Person,
  policy: PolicyConfig,
  targets: Record<string, PolicyTarget>,
  nowIso: string,
): Promise<{ state: DesiredState; text: string }> {
  const state = computeDesiredState(person, policy, targets, new Date(nowIso));
  return { state, text: formatPlan(planPersonFromAccounts(state, {}, {})) };
}
