/**
 * The baseline of bench/orchestration.ts: one bare workflow per person with idsync's activity count
 * and shape (the directory step first, then each target's steps in order, the targets side by side),
 * each activity replaying the HTTP requests idsync's activity sent. No planning, policy or audit.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BareStep {
  /** activityKey() of the idsync activity whose requests this step replays. */
  key: string;
  /** idsync's activity type: the baseline's activity of the same name, so timings compare by type. */
  type: string;
  taskQueue: string;
}

export interface BarePerson {
  before: BareStep[];
  chains: BareStep[][];
  after: BareStep[];
}

export interface BareResult {
  requests: number;
  sameStatus: number;
}

type Replay = (key: string) => Promise<BareResult>;

async function runSteps(steps: BareStep[], total: BareResult): Promise<void> {
  for (const step of steps) {
    const act = proxyActivities<Record<string, Replay>>({ taskQueue: step.taskQueue, startToCloseTimeout: '2m', retry: { maximumAttempts: 3 } });
    const done = await act[step.type]!(step.key);
    total.requests += done.requests;
    total.sameStatus += done.sameStatus;
  }
}

export async function bareReplayWorkflow(person: BarePerson): Promise<BareResult> {
  const total = { requests: 0, sameStatus: 0 };
  await runSteps(person.before, total);
  await Promise.all(person.chains.map((chain) => runSteps(chain, total)));
  await runSteps(person.after, total);
  return total;
}
