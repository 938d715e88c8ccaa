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
import { ACTIVITY_RETRY, failureMessage } from './person-activities';
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
    await Promise.all(
      targets.map(async (target) => {
        const activities = onTarget(target);
        try {
          const request = group.inputFor(event, target);
          const outcome = event.kind === 'removed' ? await activities.removeDirectoryGroup(request) : await activities.applyDirectoryGroup(request);
          group.applied(event, target, outcome);
        } catch (err) {
          // Named in the status and the target's result; the next event for this group converges it again.
          group.failed(event, target, failureMessage(err));
        }
      }),
    );
  }

  let handled = 0;
  for (;;) {
    await condition(() => group.hasQueued || group.finished);
    if (group.finished) {
      await condition(allHandlersFinished);
      if (group.finished) return group.status();
      continue;
    }
    await apply(group.takeNext()!);
    handled += 1;
    if (!group.hasQueued && !group.finished && (workflowInfo().continueAsNewSuggested || handled >= EVENTS_PER_RUN)) {
      await condition(allHandlersFinished);
      if (!group.hasQueued) return continueAsNew<typeof groupLifecycleWorkflow>({ anchor: group.anchor, state: group.data });
    }
  }
}
