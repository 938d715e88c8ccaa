/**
 * The reconciliation Schedule (RECONCILE_SCHEDULE_ID): a reconcileWorkflow every
 * `reconcile.schedule.every` (default 6h). Created on start, brought in line with the config when it
 * already exists, deleted when the config disables it. A run still going (or held by the guard) makes
 * the next one skip rather than pile up.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import type { IdsyncConfig } from '../app/config';
import { RECONCILE_SCHEDULE_ID, TASK_QUEUES, WORKFLOW_TYPES } from '../lib/names';
import { parseDuration } from '../lib/duration';
import { DEFAULT_RECONCILE_CONFIG } from '../policy/reconcile-config';
import type { ReconcileInput } from '../workflows/reconcile';

export async function ensureReconcileSchedule(client: Client, config: IdsyncConfig, opts: { taskQueue?: string; scheduleId?: string } = {}): Promise<'created' | 'updated' | 'disabled'> {
  const schedule = (config.reconcile ?? DEFAULT_RECONCILE_CONFIG).schedule;
  const scheduleId = opts.scheduleId ?? RECONCILE_SCHEDULE_ID;
  const handle = client.schedule.getHandle(scheduleId);
  if (!schedule.enabled) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return 'disabled';
  }
  const input: ReconcileInput = { apply: schedule.apply, trigger: 'schedule' };
  const spec: ScheduleSpec = { intervals: [{ every: parseDuration(schedule.every) }] };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPES.reconcile,
    workflowId: scheduleId,
    taskQueue: opts.taskQueue ?? TASK_QUEUES.orchestration,
    args: [input],
    staticSummary: `Reconciliation · every target · ${schedule.apply ? 'apply' : 'report only'} (schedule, every ${schedule.every})`,
  };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
  return 'updated';
}
