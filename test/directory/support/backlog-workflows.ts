/**
 * Workflow bundle for test/directory/watcher-backlog.test.ts: the recording person stand-in and the
 * real watcher (test/directory/support/recording-workflows.ts), plus a slow person run that does one
 * activity on the person runs' directory queue, as a joiner's run reads the directory and writes audit.
 */
import { proxyActivities } from '@temporalio/workflow';

export { directoryWatcherWorkflow, personLifecycleWorkflow, recordedEventsQuery } from './recording-workflows';

export interface SlowPersonRunActivities {
  slowPersonStep(): Promise<void>;
}

export async function slowPersonRunWorkflow(input: { activityTaskQueue: string }): Promise<void> {
  const { slowPersonStep } = proxyActivities<SlowPersonRunActivities>({ taskQueue: input.activityTaskQueue, startToCloseTimeout: '10 minutes' });
  await slowPersonStep();
}
