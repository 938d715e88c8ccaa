/**
 * Signals, queries and updates of the person workflows. Shared by workflows, the CLI and tests,
 * so a message is always sent under the name the workflow listens to.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { SIGNALS } from '../lib/names';
import type { IdentityEvent } from '../domain/person';
import type { ApprovalAnswer, ApprovalDecisionInput, PersonStatus, RunView } from './person-types';

/** Person (entity) workflow: one directory change for this person. */
export const identityEventSignal = defineSignal<[IdentityEvent]>(SIGNALS.identityEvent);
/** Person workflow: queued events, pending deprovisioning, last plan and outcome, active run. */
export const personStatusQuery = defineQuery<PersonStatus>('status');

/** Run (joiner/mover/rehire/leaver) workflows: live plan, per-target progress and approval. */
export const runStatusQuery = defineQuery<RunView>('status');
/** An approver grants the held privileged entitlements. Checked by activity; unauthorised signals are audited and ignored. */
export const approveSignal = defineSignal<[ApprovalDecisionInput]>('approve');
export const rejectSignal = defineSignal<[ApprovalDecisionInput]>('reject');
/** The same decision with a synchronous answer for the CLI. */
export const decideApprovalUpdate = defineUpdate<ApprovalAnswer, [ApprovalDecisionInput & { decision: 'approve' | 'reject' }]>('decideApproval');
/** Sent by the person workflow when a newer event makes this run's wait (approval, start date) pointless. */
export const supersedeSignal = defineSignal<[{ byEventId: string; kind: string }]>('supersede');

/** Run workflow ids are built (and parsed) in lib/names.ts, the one definition of every workflow-id format. */
export { runWorkflowId } from '../lib/names';
