/** One joiner into one target, as the person workflow does it; retries fast so tests stay short. */
import { proxyActivities } from '@temporalio/workflow';
import { TASK_QUEUES } from '../../../lib/names';
import { NON_RETRYABLE_TYPES } from '../../../lib/errors';
import type { DesiredAccount } from '../../../domain/account';
import type { BulkActivities } from './adapter-activities';

export async function hubspotOnboardOneWorkflow(target: string, desired: DesiredAccount): Promise<string> {
  const activities = proxyActivities<BulkActivities>({
    taskQueue: TASK_QUEUES.target(target),
    startToCloseTimeout: '20s',
    retry: { initialInterval: '200ms', backoffCoefficient: 1.5, maximumAttempts: 6, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
  });
  const { accountId } = await activities.ensureAccount(target, desired);
  await activities.ensureEntitlements(target, accountId, desired.entitlements, 'overwrite');
  return accountId;
}
