/**
 * `idsync reconcile [--target T] [--apply]`: starts a reconciliation run (the same workflow the
 * schedule starts), waits for it and prints a readable summary. Without --apply it only reports.
 */
import type { Client } from '@temporalio/client';
import { EXIT } from '../app/startup';
import { RECONCILE_SCHEDULE_ID, TASK_QUEUES, WORKFLOW_TYPES } from '../lib/names';
import { SITUATIONS } from '../policy/reconcile-config';
import { reconcileStatusQuery, type ReconcileInput, type ReconcileOptions, type ReconcileStatus, type ReconcileSummary } from '../workflows/reconcile';
import type { CommandResult } from './commands';

const SITUATION_LABELS: Record<(typeof SITUATIONS)[number], string> = {
  inSync: 'in sync',
  drifted: 'drifted',
  unlinked: 'unlinked',
  orphan: 'orphan',
  goneActive: 'person gone, still active',
  disputed: 'disputed',
  inactive: 'inactive',
  unapprovedPrivileged: 'privileged, no approval',
};

export function formatReconcileSummary(summary: ReconcileSummary): string {
  const lines = [`Reconciliation ${summary.runKey} (${summary.apply ? 'apply' : 'report only'}, ${summary.trigger}) as of ${summary.asOf}: ${summary.people} people in the directory`];
  for (const [target, t] of Object.entries(summary.targets)) {
    lines.push('', `${target}: ${t.accounts} account(s)`);
    for (const situation of SITUATIONS) {
      const count = t.situations[situation];
      if (count) lines.push(`  ${SITUATION_LABELS[situation].padEnd(26)} ${count}`);
    }
  }
  const suspensions = Object.values(summary.suspensions).reduce((a, b) => a + b, 0);
  lines.push('');
  if (summary.held) {
    const d = summary.held.decision;
    lines.push(`Held by the mass-change guard: ${summary.held.reason}${d ? `; ${d.approved ? 'approved' : 'rejected'} by ${d.operator}` : ''}`);
  }
  if (summary.applied) lines.push(`Applied: ${summary.events} person event(s) delivered, ${summary.suspended} account(s) suspended.`);
  else if (summary.events + suspensions > 0) lines.push(`Would deliver ${summary.events} person event(s) and suspend ${suspensions} account(s)${summary.apply ? '' : ' (run with --apply)'}.`);
  else lines.push('Nothing to correct.');
  if (summary.reportJson) lines.push(`Report: ${summary.reportJson}`, `        ${summary.reportCsv}`);
  return `${lines.join('\n')}\n`;
}

function heldText(workflowId: string, status: ReconcileStatus): string {
  return [
    `Reconciliation ${workflowId} is held by the mass-change guard: ${status.holdReason}.`,
    'Nothing was changed. An operator releases or discards the corrections at the guard:',
    '  idsync guard status',
    '  idsync guard approve|reject --as <operator> --comment <why>',
  ].join('\n');
}

export interface ReconcileCommandOptions {
  targets: string[];
  apply: boolean;
  waitMs: number;
  /** Queues other than idsync's fixed names (tests). */
  queues?: ReconcileOptions & { orchestrationQueue: string };
}

export async function reconcileCommand(client: Client, opts: ReconcileCommandOptions): Promise<CommandResult> {
  const workflowId = `${RECONCILE_SCHEDULE_ID}-cli-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const input: ReconcileInput = { targets: opts.targets, apply: opts.apply, trigger: 'cli', ...(opts.queues ? { options: opts.queues } : {}) };
  const taskQueue = opts.queues?.orchestrationQueue ?? TASK_QUEUES.orchestration;
  const scope = opts.targets.length > 0 ? opts.targets.join(', ') : 'every target';
  const handle = await client.workflow.start(WORKFLOW_TYPES.reconcile, { workflowId, taskQueue, args: [input], staticSummary: `Reconciliation · ${scope} · ${opts.apply ? 'apply' : 'report only'} (idsync reconcile)` });
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    const description = await handle.describe();
    if (description.status.name === 'COMPLETED') {
      const summary = (await handle.result()) as ReconcileSummary;
      return { code: EXIT.ok, text: formatReconcileSummary(summary), json: summary };
    }
    if (description.status.name !== 'RUNNING') {
      const failure = await handle.result().then(() => '', (err: Error) => (err.cause as Error | undefined)?.message ?? err.message);
      return { code: EXIT.failure, text: `reconciliation ${workflowId} ended ${description.status.name}: ${failure}`, json: { workflowId, status: description.status.name, error: failure } };
    }
    const status = await handle.query(reconcileStatusQuery).catch(() => undefined);
    if (status?.phase === 'awaiting-approval') return { code: EXIT.ok, text: heldText(workflowId, status), json: { workflowId, ...status } };
    if (Date.now() > deadline) {
      return { code: EXIT.failure, text: `reconciliation ${workflowId} still running after ${opts.waitMs / 1000}s (read so far: ${JSON.stringify(status?.read ?? {})}); see the Temporal UI`, json: { workflowId, pending: true, status } };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
