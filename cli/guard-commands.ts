/**
 * `idsync guard status|approve|reject`: the one mass-change guard (hosted by the directory watcher,
 * counting the watcher's, the intake's and reconciliation's deprovisionings) from the command line. Decisions go through the watcher's decideBatch update, so the operator gets a synchronous
 * answer; only an enabled member of a configured operator group is accepted (checked against the
 * directory and audited either way).
 */
import type { Client } from '@temporalio/client';
import { updateFailureMessage } from '../app/temporal-connection';
import { WATCHER_WORKFLOW_ID } from '../lib/names';
import { EXIT } from '../app/startup';
import { decideBatchUpdate, watcherStatusQuery, type WatcherStatus } from '../workflows/directory-watcher';
import type { CommandResult } from './commands';

export function formatGuardStatus(status: WatcherStatus, watcherId = WATCHER_WORKFLOW_ID): string {
  const lines = [`Mass-change guard (watcher ${watcherId}, last poll ${status.lastPollAt ?? 'never'})`];
  const held = status.pendingBatch;
  if (held) {
    lines.push(`  HELD: batch ${held.batchId} since ${held.since}: ${held.leavers} leaver(s) wait for an operator`, `    why: ${held.reason}`);
    const sources = Object.entries(held.sources ?? {});
    if (sources.length > 0) lines.push(`    from: ${sources.map(([source, n]) => `${source} ${n}`).join(', ')}`);
    lines.push(`    decide: idsync guard approve|reject --as <operator> [--comment <text>] --batch ${held.batchId}`);
  } else lines.push('  clear: nothing is held');
  for (const d of status.decisions.slice(-5)) lines.push(`  decided: batch ${d.batchId} ${d.approved ? 'approved' : 'rejected'} by ${d.operator} at ${d.at}`);
  for (const r of status.refusals.slice(-5)) lines.push(`  refused: ${r.operator || 'anonymous'} on batch ${r.batchId} at ${r.at}: ${r.reason}`);
  return lines.join('\n');
}

export async function guardStatusCommand(client: Client, watcherId = WATCHER_WORKFLOW_ID): Promise<CommandResult> {
  const status = await client.workflow.getHandle(watcherId).query(watcherStatusQuery);
  return { code: EXIT.ok, text: formatGuardStatus(status, watcherId), json: status };
}

export async function guardDecideCommand(
  client: Client,
  decision: 'approve' | 'reject',
  operator: string,
  comment: string,
  batchId?: string,
  watcherId = WATCHER_WORKFLOW_ID,
): Promise<CommandResult> {
  try {
    const answer = await client.workflow
      .getHandle(watcherId)
      .executeUpdate(decideBatchUpdate, { args: [{ decision, operator, comment, ...(batchId ? { batchId } : {}) }] });
    return { code: answer.accepted ? EXIT.ok : EXIT.failure, text: `${answer.accepted ? 'accepted' : 'refused'}: ${answer.message}`, json: answer };
  } catch (err) {
    const message = updateFailureMessage(err);
    return { code: EXIT.failure, text: `${decision} refused: ${message}`, json: { error: message } };
  }
}
