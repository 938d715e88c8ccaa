/**
 * Directory group activities: delivering the watcher's group events to the group workflows, and
 * applying one event to one target (on that target's own queue, so its rate limit applies). Every
 * apply reads the group's current state from the directory, so a late or repeated event converges
 * to what the directory says now, and a retry is always safe.
 */
import type { Client } from '@temporalio/client';
import type { Runtime } from '../app/runtime';
import type { GroupEvent } from '../directory/watch/types';
import type { DirectoryGroup } from '../directory/source';
import { nonRetryable, retryable } from '../lib/errors';
import { SIGNALS, WORKFLOW_TYPES, groupWorkflowId } from '../lib/names';
import { directoryGroupSyncOf, type DirectoryGroupRef, type DirectoryGroupSync } from '../targets/group-sync';

const DELIVERY_CONCURRENCY = 8;

/** What the group workflow is told to start with: where its directory-side activities run. */
export interface GroupLifecycleOptions {
  directoryQueue?: string;
  /** Tests run target activities on private queues: `<prefix><target>` instead of TASK_QUEUES.target(target). */
  targetQueuePrefix?: string;
}

/**
 * Starts (or signals) each group's workflow with its event. signalWithStart is safe to repeat: the
 * group workflow drops an event id it has already seen.
 */
export async function deliverGroupEvents(client: Client, taskQueue: string, events: GroupEvent[], options: GroupLifecycleOptions = {}): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++]!;
      try {
        await client.workflow.signalWithStart(WORKFLOW_TYPES.groupLifecycle, {
          workflowId: groupWorkflowId(event.anchor),
          taskQueue,
          signal: SIGNALS.groupEvent,
          signalArgs: [event],
          args: [{ anchor: event.anchor, options }],
        });
      } catch (err) {
        throw retryable('DeliveryFailed', `could not deliver group ${event.kind} event ${event.eventId}: ${(err as Error).message}`, { identity: `group ${event.anchor}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, events.length) }, worker));
}

export interface GroupApplyInput extends DirectoryGroupRef {
  target: string;
  eventId: string;
  kind: GroupEvent['kind'];
}

export interface GroupApplyOutcome {
  /** The target's group id to remember (absent when nothing was linked, or the group is gone). */
  groupId?: string;
  created?: boolean;
  changes: number;
  unresolvedMembers?: number;
  /** Why nothing was done (the directory no longer has the group, or it came back before its removal). */
  skipped?: string;
  /** Why a removed group was left in the target. */
  kept?: string;
}

/** Targets whose adapter syncs directory groups (enabled and switched on in their config). */
export function groupSyncTargets(runtime: Runtime): string[] {
  return [...runtime.adapters.entries()].filter(([name, adapter]) => runtime.config.targets?.[name]?.enabled !== false && directoryGroupSyncOf(adapter)).map(([name]) => name).sort();
}

export function createGroupActivities(runtime: Runtime) {
  const syncOf = (target: string): DirectoryGroupSync => {
    const sync = directoryGroupSyncOf(runtime.adapters.get(target));
    if (!sync) throw nonRetryable('ConfigError', `target ${target} does not sync directory groups`, { target, field: 'groupSync' });
    return sync;
  };
  const readGroup = async (anchor: string): Promise<DirectoryGroup | null> => {
    const source = runtime.directory;
    if (source.getGroup) return source.getGroup(anchor);
    return (await source.listGroups?.())?.find((g) => g.anchor === anchor) ?? null;
  };
  return {
    async directoryGroupTargets(): Promise<string[]> {
      return groupSyncTargets(runtime);
    },

    /** Appeared, renamed or members changed: make the target's group what the directory group is now. */
    async applyDirectoryGroup(input: GroupApplyInput): Promise<GroupApplyOutcome> {
      const sync = syncOf(input.target);
      const group = await readGroup(input.anchor);
      if (!group) return { changes: 0, skipped: 'the group is no longer in the directory' };
      const { target, eventId, kind: _kind, ...ref } = input;
      const result = await sync.ensureDirectoryGroup({ ...ref, name: group.name }, group.memberAnchors);
      if (result.changes.length > 0) {
        await runtime.audit.append({
          actor: 'idsync',
          action: 'group-sync',
          target,
          after: { group: input.anchor, groupId: result.groupId, changes: result.changes.map((c) => ({ action: c.action, accountId: c.accountId })) },
          reason: `${input.kind} ${eventId}`,
          key: `${eventId}-${target}-${result.changes.length}`,
        });
      }
      return { groupId: result.groupId, created: result.created, changes: result.changes.length, unresolvedMembers: result.unresolvedMembers };
    },

    /** Deleted or out of scope (released by the mass-change guard): delete the target's group if idsync manages it. */
    async removeDirectoryGroup(input: GroupApplyInput): Promise<GroupApplyOutcome> {
      const sync = syncOf(input.target);
      // Back before the removal ran: the appearance that follows it wins, nothing is deleted.
      if (await readGroup(input.anchor)) return { changes: 0, skipped: 'the group is back in the directory' };
      const { target, eventId, kind: _kind, ...ref } = input;
      const result = await sync.removeDirectoryGroup(ref);
      await runtime.audit.append({
        actor: 'idsync',
        action: result.changes.length > 0 ? 'group-remove' : 'group-kept',
        target,
        after: { group: input.anchor, groupId: input.linkedId ?? null },
        reason: result.kept ?? `removed ${eventId}`,
        key: `${eventId}-${target}`,
      });
      return { changes: result.changes.length, ...(result.kept ? { kept: result.kept } : {}) };
    },
  };
}

export type GroupActivities = ReturnType<typeof createGroupActivities>;
