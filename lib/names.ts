/**
 * Names shared by workers, starters, the CLI and workflows. Only type imports and
 * lib/search-attributes (@temporalio/common), so workflow code can import this file without
 * breaking the deterministic sandbox.
 */
import type { IdentityEventKind } from '../domain/person';

export const TASK_QUEUES = {
  /** Workflows (decisions only). */
  orchestration: 'idsync-orchestration',
  /**
   * The directory watcher's workflow tasks, apart from person runs: a backlog of thousands of person
   * workflow tasks on the orchestration queue must not delay a poll (and with it every joiner and leaver).
   */
  watcher: 'idsync-watcher',
  /** The watcher's activities (poll, decide a held batch, deliver events), apart from person-run activities. */
  watcherActivities: 'idsync-watcher-activities',
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
  /** Entity workflow, one per directory group: applies its events to the targets that sync groups. Id: groupWorkflowId(anchor). */
  groupLifecycle: 'groupLifecycleWorkflow',
} as const;

export const SIGNALS = {
  /** Payload: IdentityEvent (domain/person.ts). Sent with signalWithStart to the person workflow. */
  identityEvent: 'identityEvent',
  /** Payload: GroupEvent (directory/watch/types.ts). Sent with signalWithStart to the group workflow. */
  groupEvent: 'groupEvent',
} as const;

/**
 * Updates other processes send by name. admitDeprovisioning: every source other than the watcher
 * asks the mass-change guard the watcher hosts before it cuts access (payload AdmissionRequest,
 * directory/watch/types.ts).
 */
export const UPDATES = {
  admitDeprovisioning: 'admitDeprovisioning',
} as const;

export const WATCHER_WORKFLOW_ID = 'idsync-directory-watcher';

/** The Temporal Schedule that starts a reconciliation run every `reconcile.schedule.every`. */
export const RECONCILE_SCHEDULE_ID = 'idsync-reconcile';

/**
 * Workflow ids, built and parsed here only. They carry identifiers (anchor, event id), never a name
 * or an email. Formats:
 *   person workflow  idsync-person-<anchor>
 *   run workflow     idsync-<kind>-<anchor>-<eventId>   (kind: joiner | mover | leaver | rehire | sync)
 *   watcher          WATCHER_WORKFLOW_ID
 *   group workflow   idsync-group-<group anchor>
 */
const PERSON_ID_PREFIX = 'idsync-person-';
const RUN_ID_PREFIX = 'idsync-';

/** Every event kind a run workflow is started for; exhaustive over IdentityEventKind (checked below). */
export const RUN_KINDS = ['joiner', 'mover', 'leaver', 'rehire', 'sync'] as const;
type MissingRunKind = Exclude<IdentityEventKind, (typeof RUN_KINDS)[number]>;
const everyKindHasRuns: MissingRunKind extends never ? true : MissingRunKind = true;
void everyKindHasRuns;

export function personWorkflowId(anchor: string): string {
  return `${PERSON_ID_PREFIX}${anchor}`;
}

/** The workflow of one directory group, by the group's immutable anchor (never its name, which can change). */
export function groupWorkflowId(groupAnchor: string): string {
  return `idsync-group-${groupAnchor}`;
}

/** The anchor in a person workflow id, or null for any other id. */
export function parsePersonWorkflowId(workflowId: string): string | null {
  if (!workflowId.startsWith(PERSON_ID_PREFIX) || workflowId.length === PERSON_ID_PREFIX.length) return null;
  return workflowId.slice(PERSON_ID_PREFIX.length);
}

/** Run (joiner/mover/leaver/rehire/sync) workflow id, started by the person workflow as its child. */
export function runWorkflowId(kind: IdentityEventKind, anchor: string, eventId: string): string {
  return `${RUN_ID_PREFIX}${kind}-${anchor}-${eventId}`;
}

export interface ParsedRunWorkflowId {
  kind: IdentityEventKind;
  /**
   * "<anchor>-<eventId>". Anchors (entryUUID, objectGUID) and event ids both contain "-", so the two
   * can only be told apart knowing the anchor: see runEventId.
   */
  anchorAndEventId: string;
}

/** The kind of a run workflow id (and the rest of it), or null when the id is not a run's. */
export function parseRunWorkflowId(workflowId: string): ParsedRunWorkflowId | null {
  if (!workflowId.startsWith(RUN_ID_PREFIX)) return null;
  const rest = workflowId.slice(RUN_ID_PREFIX.length);
  const kind = RUN_KINDS.find((k) => rest.startsWith(`${k}-`));
  if (!kind) return null;
  const anchorAndEventId = rest.slice(kind.length + 1);
  // The shortest id a run can have: a one-character anchor, "-", a one-character event id.
  if (anchorAndEventId.length < 3) return null;
  return { kind, anchorAndEventId };
}

/**
 * The event id of one of this person's run workflows, or null when the id is not a run of that anchor.
 * The id alone cannot tell anchor "a" with event "b-c" from anchor "a-b" with event "c": the caller
 * says which anchor it means.
 */
export function runEventId(workflowId: string, anchor: string): string | null {
  const run = parseRunWorkflowId(workflowId);
  if (!run || anchor === '' || !run.anchorAndEventId.startsWith(`${anchor}-`)) return null;
  const eventId = run.anchorAndEventId.slice(anchor.length + 1);
  return eventId === '' ? null : eventId;
}

export type ParsedWorkflowId =
  | { type: 'watcher' }
  | { type: 'person'; anchor: string }
  | ({ type: 'run' } & ParsedRunWorkflowId);

/** Which of idsync's workflows an id names, or null when it is none of them (e.g. a username). */
export function parseWorkflowId(workflowId: string): ParsedWorkflowId | null {
  if (workflowId === WATCHER_WORKFLOW_ID) return { type: 'watcher' };
  const anchor = parsePersonWorkflowId(workflowId);
  if (anchor !== null) return { type: 'person', anchor };
  const run = parseRunWorkflowId(workflowId);
  return run && { type: 'run', ...run };
}

/** Defined in lib/search-attributes.ts with the typed keys; re-exported for code written against this module. */
export { SEARCH_ATTRIBUTES } from './search-attributes';
