/**
 * Asking the one mass-change guard (hosted by the directory watcher workflow) from outside it: the
 * intake before it delivers a leaver, reconciliation before it applies corrections. The update is
 * answered once the guard has counted the request, so the caller knows at once whether it may go on.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { updateFailureMessage } from '../app/temporal-connection';
import { UPDATES, WATCHER_WORKFLOW_ID } from '../lib/names';
import type { AdmissionRequest, AdmissionVerdict } from '../directory/watch/types';

/** The guard is not running (or does not answer): nothing that cuts access may go ahead without it. */
export class GuardUnavailable extends Error {
  constructor(guardWorkflowId: string, why = 'is not running') {
    super(`the mass-change guard (directory watcher ${guardWorkflowId}) ${why}: nothing is deprovisioned without it; check that the watcher runs (npm start or starters/watch.ts)`);
    this.name = 'GuardUnavailable';
  }
}

export async function askMassChangeGuard(client: Client, request: AdmissionRequest, guardWorkflowId = WATCHER_WORKFLOW_ID): Promise<AdmissionVerdict> {
  try {
    return await client.workflow.getHandle(guardWorkflowId).executeUpdate<AdmissionVerdict, [AdmissionRequest]>(UPDATES.admitDeprovisioning, { args: [request] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new GuardUnavailable(guardWorkflowId);
    if (err instanceof WorkflowUpdateFailedError) throw new Error(`the mass-change guard refused the request: ${updateFailureMessage(err)}`);
    throw err;
  }
}
