/**
 * Workflow side of bench/hubspot-bulk.ts: onboards a batch of people into one target, each person
 * as the production joiner does it (ensure the account, then its entitlements), all activities on
 * the target's task queue so the server-side rate limit paces them.
 */
import { proxyActivities } from '@temporalio/workflow';
import { TASK_QUEUES } from '../lib/names';
import { NON_RETRYABLE_TYPES } from '../lib/errors';
import type { DesiredAccount } from '../domain/account';
import type { BulkActivities } from './hubspot-bulk-activities';

export interface BulkOnboardInput {
  target: string;
  people: DesiredAccount[];
}

export interface BulkOnboardResult {
  created: number;
  changes: number;
}

export async function hubspotBulkOnboardWorkflow(input: BulkOnboardInput): Promise<BulkOnboardResult> {
  const activities = proxyActivities<BulkActivities>({
    taskQueue: TASK_QUEUES.target(input.target),
    startToCloseTimeout: '30s',
    // Activities wait their turn behind the queue's rate limit: schedule-to-close covers the whole run.
    scheduleToCloseTimeout: '2h',
    retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
  });
  const results = await Promise.all(
    input.people.map(async (desired) => {
      const account = await activities.ensureAccount(input.target, desired);
      const granted = await activities.ensureEntitlements(input.target, account.accountId, desired.entitlements, 'overwrite');
      return { created: account.created ? 1 : 0, changes: account.changes + granted };
    }),
  );
  return results.reduce((sum, r) => ({ created: sum.created + r.created, changes: sum.changes + r.changes }), { created: 0, changes: 0 });
}
