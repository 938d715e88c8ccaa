/**
 * The entity workflow of one directory group (id groupWorkflowId(anchor)): the thin shell around
 * GroupState (group-state.ts). The watcher's group events arrive as signals and are applied one at
 * a time, in order, to every target that syncs directory groups, each on that target's own queue.
 * It remembers the target groups it linked across continue-as-new, and ends once its group is
 * removed (a group that comes back starts a new run with the same id).
 */
import { allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { GroupActivities, GroupLifecycleOptions } from '../activities/groups';
import type { GroupEvent } from '../directory/watch/types';
import { SIGNALS, TASK_QUEUES } from '../lib/names';
import { ACTIVITY_RETRY, failureMessage, isNonRetryable } from './person-activities';
import { GroupState, type GroupLifecycleState, type GroupStatus } from './group-state';

export type { GroupLifecycleState, GroupStatus } from './group-state';

export const groupEventSignal = defineSignal<[GroupEvent]>(SIGNALS.groupEvent);
export const groupStatusQuery = defineQuery<GroupStatus>('groupStatus');

export interface GroupLifecycleInput {
  anchor: string;
  options?: GroupLifecycleOptions;
  /** Carried across continue-as-new; absent on the first run. */
  state?: GroupLifecycleState;
}

/** Continue as new after this many events even if the server does not ask yet, so replays stay short. */
const EVENTS_PER_RUN = 100;

export async function groupLifecycleWorkflow(input: GroupLifecycleInput): Promise<GroupStatus> {
  const group = new GroupState(input.anchor, input.state?.options ?? input.options ?? {}, input.state);
  const options = group.data.options;
  setHandler(groupEventSignal, (event) => void group.receive(event));
  setHandler(groupStatusQuery, () => group.status());

  const directory = proxyActivities<GroupActivities>({ taskQueue: options.directoryQueue ?? TASK_QUEUES.directory, startToCloseTimeout: '1m', retry: ACTIVITY_RETRY });
  const onTarget = (target: string) =>
    proxyActivities<GroupActivities>({
      taskQueue: options.targetQueuePrefix ? `${options.targetQueuePrefix}${target}` : TASK_QUEUES.target(target),
      startToCloseTimeout: '5m',
      retry: ACTIVITY_RETRY,
    });

  async function apply(event: GroupEvent): Promise<void> {
    const targets = await directory.directoryGroupTargets();
    let retryableFailure = false;
    await Promise.all(
      targets.map(async (target) => {
        const activities = onTarget(target);
        try {
          const request = group.inputFor(event, target);
          const outcome = event.kind === 'removed' ? await activities.removeDirectoryGroup(request) : await activities.applyDirectoryGroup(request);
          group.applied(event, target, outcome);
        } catch (err) {
          // Named in the target's result; a failure that may pass is tried again on a durable timer.
          group.failed(event, target, failureMessage(err));
          if (!isNonRetryable(err)) retryableFailure = true;
        }
      }),
    );
    group.settle(event, retryableFailure, Date.now());
  }

  let handled = 0;
  for (;;) {
    const retryDue = group.data.retry?.dueAt;
    if (retryDue === undefined) await condition(() => group.hasQueued || group.finished);
    else await condition(() => group.hasQueued, Math.max(1, retryDue - Date.now()));
    if (group.finished) {
      await condition(allHandlersFinished);
      if (group.finished) return group.status();
      continue;
    }
    const retry = group.hasQueued ? undefined : group.takeDueRetry(Date.now());
    if (!retry && !group.hasQueued) continue;
    await apply(retry ?? group.takeNext()!);
    handled += 1;
    if (!group.hasQueued && !group.finished && (workflowInfo().continueAsNewSuggested || handled >= EVENTS_PER_RUN)) {
      await condition(allHandlersFinished);
      if (!group.hasQueued) return continueAsNew<typeof groupLifecycleWorkflow>({ anchor: group.anchor, state: group.data });
    }
  }
}
