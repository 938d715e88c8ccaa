/**
 * Names shared by workers, starters, the CLI and workflows. Plain strings, plus a re-export of
 * lib/search-attributes (@temporalio/common only), so workflow code can import this file without
 * breaking the deterministic sandbox.
 */
export const TASK_QUEUES = {
  /** Workflows (decisions only). */
  orchestration: 'idsync-orchestration',
  /** Directory reads, snapshots, audit writes. */
  directory: 'idsync-directory',
  /** One queue per configured target, so each target's rate limit is enforced server-side. */
  target: (targetName: string) => `idsync-target-${targetName}`,
} as const;

export const WORKFLOW_TYPES = {
  /** Entity workflow, one per person: serialises that person's events. Id: personWorkflowId(anchor). */
  personLifecycle: 'personLifecycleWorkflow',
  /** Durable directory poller with continue-as-new. Id: WATCHER_WORKFLOW_ID. */
  directoryWatcher: 'directoryWatcherWorkflow',
} as const;

export const SIGNALS = {
  /** Payload: IdentityEvent (lib/person.ts). Sent with signalWithStart to the person workflow. */
  identityEvent: 'identityEvent',
} as const;

export const WATCHER_WORKFLOW_ID = 'idsync-directory-watcher';

/** Workflow ids carry only the anchor (an opaque identifier), never a name or an email. */
export function personWorkflowId(anchor: string): string {
  return `idsync-person-${anchor}`;
}

/** Defined in lib/search-attributes.ts with the typed keys; re-exported for code written against this module. */
export { SEARCH_ATTRIBUTES } from './search-attributes';
