import type { Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import type { IdentityEvent } from '../domain/person';
import type { Runtime } from '../app/runtime';
import { SIGNALS, TASK_QUEUES, WORKFLOW_TYPES, personWorkflowId } from '../lib/names';
import { retryable } from '../lib/errors';
import { personSummary } from '../lib/run-summary';
import { resolveWatcherConfig } from '../directory/config';
import { WatcherStateStore } from '../directory/watch/state-store';
import { pollOnce, type PollerDeps } from '../directory/watch/poller';
import { admitDeprovisioning, decideBatch } from '../directory/watch/guard';
import type { AdmissionOutcome, AdmissionRequest, BatchDecision, DecisionOutcome, PollOutcome } from '../directory/watch/types';
import { deliverGroupEvents, groupSyncTargets, type GroupLifecycleOptions } from './groups';

const DELIVERY_CONCURRENCY = 16;

/**
 * Starts (or signals) each person's lifecycle workflow with the event. signalWithStart is safe to
 * repeat: the person workflow de-duplicates by eventId, so a retried delivery is harmless.
 */
export async function deliverIdentityEvents(client: Client, taskQueue: string, events: IdentityEvent[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++]!;
      try {
        await client.workflow.signalWithStart(WORKFLOW_TYPES.personLifecycle, {
          workflowId: personWorkflowId(event.anchor),
          taskQueue,
          signal: SIGNALS.identityEvent,
          signalArgs: [event],
          args: [{ anchor: event.anchor }],
          staticSummary: personSummary(event.person, event.anchor),
        });
      } catch (err) {
        throw retryable('DeliveryFailed', `could not deliver ${event.kind} event ${event.eventId}: ${(err as Error).message}`, { identity: event.anchor });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, events.length) }, worker));
}

/** Heartbeats while a long scan runs, so a killed worker's poll is retried elsewhere within the heartbeat timeout. */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => Context.current().heartbeat(), 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export interface WatcherDecisionInput extends BatchDecision {
  generation: number | null;
  approve: boolean;
}

export interface GuardAdmissionInput extends AdmissionRequest {
  generation: number | null;
}

/**
 * Directory watcher activities, registered on the watcher's own activity queue (TASK_QUEUES.watcherActivities,
 * workers/workers.ts role 'watcher'), never beside person-run activities: a poll must not wait for a slot.
 */
export function createDirectoryActivities(
  runtime: Runtime,
  deps: {
    client: Client;
    groupOptions?: GroupLifecycleOptions;
    /** Tests only: where the watcher starts person and group workflows (and their directory activities) instead of the fixed queues every worker polls. */
    personQueues?: { orchestration: string; directory?: string };
  },
) {
  const orchestrationQueue = deps.personQueues?.orchestration ?? TASK_QUEUES.orchestration;
  const settings = resolveWatcherConfig(runtime.config.watcher);
  const store = new WatcherStateStore(settings.stateDir);
  const pollerDeps: PollerDeps = {
    source: runtime.directory,
    store,
    settings,
    audit: runtime.audit,
    eventSource: runtime.config.directory.kind === 'ldap' ? 'ldap' : runtime.config.directory.kind,
    deliver: (events) => deliverIdentityEvents(deps.client, orchestrationQueue, events),
  };
  // Directory groups are tracked only while some target syncs them (activities/groups.ts).
  if (groupSyncTargets(runtime).length > 0) {
    const groupOptions = { directoryQueue: deps.personQueues?.directory ?? TASK_QUEUES.directory, ...deps.groupOptions };
    pollerDeps.deliverGroups = (events) => deliverGroupEvents(deps.client, orchestrationQueue, events, groupOptions);
  }
  let polling: Promise<unknown> = Promise.resolve();
  /** One poll at a time per process: two overlapping polls would race on the same generation. */
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = polling.then(work, work);
    polling = run.catch(() => undefined);
    return run;
  };
  return {
    async pollDirectoryWatcher(input: { generation: number | null }): Promise<PollOutcome> {
      return withHeartbeat(() => serialised(() => pollOnce(pollerDeps, input.generation)));
    },
    async decideDirectoryWatcherBatch(input: WatcherDecisionInput): Promise<DecisionOutcome> {
      const { generation, approve, ...decision } = input;
      return withHeartbeat(() => serialised(() => decideBatch(pollerDeps, generation, decision, approve)));
    },
    /** Another source asks the mass-change guard before it deprovisions (directory/watch/guard.ts). */
    async admitToMassChangeGuard(input: GuardAdmissionInput): Promise<AdmissionOutcome> {
      const { generation, ...request } = input;
      return withHeartbeat(() => serialised(() => admitDeprovisioning(pollerDeps, generation, request)));
    },
  };
}

export type DirectoryActivities = ReturnType<typeof createDirectoryActivities>;
