/**
 * Names shared by workers, starters, the CLI and workflows. Plain strings only (no imports), so
 * workflow code can import this file without breaking the deterministic sandbox.
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
  /** One reconciliation run over every (or some) target(s); started by RECONCILE_SCHEDULE_ID or the CLI. */
  reconcile: 'reconcileWorkflow',
} as const;

export const SIGNALS = {
  /** Payload: IdentityEvent (lib/person.ts). Sent with signalWithStart to the person workflow. */
  identityEvent: 'identityEvent',
} as const;

export const WATCHER_WORKFLOW_ID = 'idsync-directory-watcher';

/** The Temporal Schedule that starts a reconciliation run every `reconcile.schedule.every`. */
export const RECONCILE_SCHEDULE_ID = 'idsync-reconcile';

/** Workflow ids carry only the anchor (an opaque identifier), never a name or an email. */
export function personWorkflowId(anchor: string): string {
  return `idsync-person-${anchor}`;
}

/**
 * Search attributes registered on the Temporal namespace at start (dev server: --search-attribute;
 * production: `temporal operator search-attribute create`). Values are identifiers, never personal data.
 */
export const SEARCH_ATTRIBUTES = {
  IdsyncPerson: 'Keyword',
  IdsyncEventKind: 'Keyword',
  IdsyncTargets: 'KeywordList',
  IdsyncApprovalState: 'Keyword',
  IdsyncGuardState: 'Keyword',
  /** "<target>:<accountId>" of every account the person's workflow manages (reconciliation reads them). */
  IdsyncLinks: 'KeywordList',
  /** converged | partial | failed: the person's last outcome. */
  IdsyncOutcome: 'Keyword',
} as const;
