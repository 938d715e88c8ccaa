/**
 * Progress of bulk work (the watcher's baseline, the first syncs after `npm start`), counted from
 * Temporal visibility only: person workflows by IdsyncOutcome, runs by IdsyncApprovalState and
 * IdsyncWaitingFor. No second bookkeeping, so the numbers are what the Temporal UI's filters show.
 *
 * A person counts once by their person workflow's outcome (set when a run finishes). Runs still
 * waiting (approval, start date) belong to people without an outcome yet in a first provisioning;
 * whoever is neither settled nor waiting is "in progress". A person re-asked for an approval after an
 * earlier outcome is counted in both, which only makes "in progress" smaller (never negative).
 */
import type { Client } from '@temporalio/client';
import { EXIT } from '../app/exit-codes';
import { SEARCH_ATTRIBUTE_KEYS as SA, WAITING_FOR } from '../lib/search-attributes';
import { WORKFLOW_TYPES } from '../lib/names';
import type { CommandResult } from './commands';

export interface ProgressCounts {
  /** Running person workflows: the people idsync is handling. */
  people: number;
  converged: number;
  partial: number;
  conflict: number;
  failed: number;
  waitingForApproval: number;
  futureStart: number;
  /** Neither settled nor waiting: a run is planning or applying for them. */
  inProgress: number;
}

const RUNNING = 'ExecutionStatus = "Running"';
const PERSON = `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND ${RUNNING}`;

/** `scope`: an extra visibility clause, e.g. `TaskQueue = "..."` for one deployment's workflows in a shared namespace. */
export async function countProgress(client: Client, scope?: string): Promise<ProgressCounts> {
  const count = async (query: string) => (await client.workflow.count(scope ? `${query} AND ${scope}` : query)).count;
  const outcome = (value: string) => count(`${PERSON} AND ${SA.outcome.name} = "${value}"`);
  const [people, converged, partial, conflict, failed, waitingForApproval, futureStart] = await Promise.all([
    count(PERSON),
    outcome('converged'),
    outcome('partial'),
    outcome('conflict'),
    outcome('failed'),
    count(`${SA.approvalState.name} = "pending" AND ${RUNNING}`),
    count(`${SA.waitingFor.name} = "${WAITING_FOR.startDate}" AND ${RUNNING}`),
  ]);
  const inProgress = Math.max(0, people - converged - partial - conflict - failed - waitingForApproval - futureStart);
  return { people, converged, partial, conflict, failed, waitingForApproval, futureStart, inProgress };
}

export function formatCounts(c: ProgressCounts): string {
  const parts = [
    `${c.converged} converged`,
    `${c.partial} partial`,
    ...(c.conflict > 0 ? [`${c.conflict} conflict`] : []),
    `${c.waitingForApproval} waiting for approval`,
    `${c.futureStart} future start`,
    `${c.failed} failed`,
  ];
  return `${c.people} people: ${parts.join(', ')}; ${c.inProgress} in progress`;
}

/** People per minute settled (or set waiting) since the first sample, and the time left at that rate. */
export function rateAndEta(first: { at: number; inProgress: number; people: number }, now: { at: number; inProgress: number; people: number }): { perMinute: number; etaSeconds?: number } {
  const minutes = (now.at - first.at) / 60_000;
  const handled = now.people - now.inProgress - (first.people - first.inProgress);
  const perMinute = minutes > 0 ? Math.max(0, handled) / minutes : 0;
  return { perMinute, ...(perMinute > 0 ? { etaSeconds: Math.ceil((now.inProgress / perMinute) * 60) } : {}) };
}

function formatDuration(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

export interface FollowOptions {
  /** Rewrites one line in place; otherwise a line every `plainIntervalMs`. */
  tty: boolean;
  write: (text: string) => void;
  /** Stop following (e.g. at shutdown). */
  signal?: AbortSignal;
  /** See countProgress. */
  scope?: string;
  ttyIntervalMs?: number;
  plainIntervalMs?: number;
  /** Samples in a row with nothing in progress (and the count of people unchanged) before the summary. */
  quietSamples?: number;
}

/**
 * Follows bulk work until nobody is in progress any more (and no new person appeared for a few
 * samples), then writes a summary. Visibility errors end the line quietly: progress is informative.
 */
export async function followProgress(client: Client, options: FollowOptions): Promise<ProgressCounts | undefined> {
  const interval = options.tty ? (options.ttyIntervalMs ?? 1000) : (options.plainIntervalMs ?? 5000);
  const quietNeeded = options.quietSamples ?? 3;
  let first: { at: number; inProgress: number; people: number } | undefined;
  let last: ProgressCounts | undefined;
  let quiet = 0;
  while (!options.signal?.aborted) {
    let counts: ProgressCounts;
    try {
      counts = await countProgress(client, options.scope);
    } catch {
      if (options.tty && last) options.write('\n');
      return undefined;
    }
    const at = Date.now();
    first ??= { at, inProgress: counts.inProgress, people: counts.people };
    // Nobody yet may mean the watcher has not started anyone: an empty directory ends after a minute.
    const settled = counts.inProgress === 0 && counts.people === last?.people && (counts.people > 0 || at - first.at > 60_000);
    quiet = settled ? quiet + 1 : 0;
    last = counts;
    if (quiet >= quietNeeded) break;
    const { perMinute, etaSeconds } = rateAndEta(first, { at, ...counts });
    const pace = perMinute > 0 && counts.inProgress > 0 ? `, ${perMinute.toFixed(1)}/min, ETA ${formatDuration(etaSeconds ?? 0)}` : '';
    const line = `idsync: provisioning: ${formatCounts(counts)}${pace}`;
    options.write(options.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  if (!last || options.signal?.aborted) return last;
  if (options.tty) options.write('\r\x1b[2K');
  options.write(`idsync: provisioning done: ${formatCounts(last)}${last.waitingForApproval > 0 ? ' (npx idsync approvals lists what waits)' : ''}\n`);
  return last;
}

/** `idsync progress`: the same counts once. */
export async function progressCommand(client: Client, scope?: string): Promise<CommandResult> {
  const counts = await countProgress(client, scope);
  return { code: EXIT.ok, text: formatCounts(counts), json: counts };
}
