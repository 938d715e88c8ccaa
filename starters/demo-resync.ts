import type { Client } from '@temporalio/client';
import type { DirectorySource } from '../directory/source';
import type { IdentityEvent } from '../domain/person';
import { personSummary } from '../lib/run-summary';
import { SIGNALS, TASK_QUEUES, WORKFLOW_TYPES, personWorkflowId } from '../lib/names';

/**
 * The demo's emulators keep their accounts in state files, as Temporal's history, the directory and
 * the watcher's state survive a restart. When an emulator nevertheless starts from its seed beside
 * people idsync already provisioned (its file was deleted, or the first start after an upgrade that
 * introduced the files), every person gets a `sync` event, so the person workflows converge it to
 * policy again (the same path `idsync sync` takes). Not used on an ordinary restart: it would
 * re-request privileged grants that were already decided.
 */
export async function resyncEveryone(client: Client, directory: DirectorySource, startedAt: Date): Promise<number> {
  let count = 0;
  for await (const person of directory.listPeople()) {
    const event: IdentityEvent = {
      eventId: `demo-restart-${startedAt.getTime()}`,
      kind: 'sync',
      anchor: person.anchor,
      source: 'reconcile',
      observedAt: startedAt.toISOString(),
      reason: 'demo restarted with an emulator that had no saved state, so every target is converged again',
    };
    await client.workflow.signalWithStart(WORKFLOW_TYPES.personLifecycle, {
      workflowId: personWorkflowId(person.anchor),
      taskQueue: TASK_QUEUES.orchestration,
      args: [{ anchor: person.anchor }],
      signal: SIGNALS.identityEvent,
      signalArgs: [event],
      staticSummary: personSummary(person, person.anchor),
    });
    count++;
  }
  return count;
}
