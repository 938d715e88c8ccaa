/**
 * The CLI's commands. Each returns what to print and the exit code; nothing here calls process.exit,
 * so the commands can be tested in-process as well as through the real binary.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { updateFailureMessage } from '../app/temporal-connection';
import type { IdsyncConfig } from '../app/config';
import type { IdentityEvent, Person } from '../domain/person';
import type { DirectorySource } from '../directory/source';
import type { Runtime } from '../app/runtime';
import { EXIT } from '../app/startup';
import { parsePersonWorkflowId, parseWorkflowId, personWorkflowId, TASK_QUEUES, WORKFLOW_TYPES } from '../lib/names';
import { planPersonNow } from '../activities/planning';
import { verifyAuditLog } from '../audit';
import { decideApprovalUpdate, identityEventSignal, personStatusQuery, runStatusQuery } from '../workflows/person-messages';
import type { ApprovalAnswer, PersonStatus, RunView } from '../workflows/person-types';
import { personSummary } from '../lib/run-summary';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import { formatApproval, formatPersonPlan, formatStatus, formatVerification } from './format';

export interface CommandResult {
  code: number;
  text: string;
  json: unknown;
}

export { UsageError } from './usage-error';

const fail = (text: string, code: number = EXIT.failure): CommandResult => ({ code, text, json: { error: text } });

/** <person> is an anchor, a username or an email; resolved through the directory. */
export async function resolvePerson(directory: DirectorySource, who: string): Promise<Person | null> {
  return (await directory.getPerson(who)) ?? (await directory.findPerson(who.includes('@') ? { email: who } : { username: who }));
}

/**
 * An anchor for commands that also work on people no longer in the directory (status of a leaver).
 * A person workflow id (idsync-person-<anchor>) names its anchor directly.
 */
async function resolveAnchor(directory: DirectorySource, who: string): Promise<string> {
  return parsePersonWorkflowId(who) ?? (await resolvePerson(directory, who))?.anchor ?? who;
}

/** The plan for a person, read live; with a Temporal client, the accounts idsync already links to them are used first. */
export async function planCommand(runtime: Runtime, who: string, client?: Client): Promise<CommandResult> {
  const person = await resolvePerson(runtime.directory, who);
  const anchor = person?.anchor ?? (client ? who : undefined);
  const status = client && anchor ? (await readStatus(client, anchor))?.status : undefined;
  if (!person && !status) return fail(`no person "${who}" in the directory (give an anchor, username or email)`);
  const links = Object.fromEntries(Object.entries(status?.links ?? {}).map(([target, link]) => [target, link.accountId]));
  const plan = await planPersonNow(runtime, (person?.anchor ?? anchor)!, new Date(), links);
  return { code: EXIT.ok, text: formatPersonPlan(plan), json: plan };
}

async function readStatus(client: Client, anchor: string): Promise<{ status: PersonStatus; run?: RunView } | undefined> {
  try {
    const status = await client.workflow.getHandle(personWorkflowId(anchor)).query(personStatusQuery);
    const run = status.activeRun ? await client.workflow.getHandle(status.activeRun.workflowId).query(runStatusQuery).catch(() => undefined) : undefined;
    return { status, run };
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/**
 * Where the person's runs are in the Temporal UI: the list filtered by IdsyncPerson (which holds the
 * anchor, so an operator who knows only the username still finds them). Without temporal.uiUrl, the filter.
 */
export function personUiLink(anchor: string, ui: { url?: string; namespace: string }): string {
  const query = `IdsyncPerson = "${anchor}"`;
  if (!ui.url) return `filter the Temporal UI's workflow list by: ${query}`;
  return `${ui.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/**
 * Person workflows whose IdsyncUsernameKey is one of `keys` (the username hashed under each key of the
 * keyring, app/username-key.ts), newest first: how a username is found once the directory has forgotten it.
 */
export async function anchorsByUsernameKey(client: Client, keys: readonly string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const query = `WorkflowType = "${WORKFLOW_TYPES.personLifecycle}" AND ${SEARCH_ATTRIBUTE_KEYS.usernameKey.name} IN (${keys.map((k) => `"${k}"`).join(', ')})`;
  const found: { anchor: string; startedAt: number }[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const anchor = parsePersonWorkflowId(wf.workflowId);
    if (anchor && !found.some((f) => f.anchor === anchor)) found.push({ anchor, startedAt: wf.startTime.getTime() });
  }
  return found.sort((a, b) => b.startedAt - a.startedAt).map((f) => f.anchor);
}

/**
 * `usernameKeys`: the keyed hashes of `who` as a username. When the directory has nobody by that
 * name (a leaver deleted outright), the person workflow that published one of them is shown.
 */
export async function statusCommand(client: Client, directory: DirectorySource, who: string, ui?: { url?: string; namespace: string }, usernameKeys: readonly string[] = []): Promise<CommandResult> {
  let anchor = parsePersonWorkflowId(who) ?? (await resolvePerson(directory, who))?.anchor;
  let note = '';
  if (!anchor) {
    const [newest, ...older] = await anchorsByUsernameKey(client, who.includes('@') ? [] : usernameKeys);
    if (newest) note = `\n(${who} is no longer in the directory; found by the username's keyed hash${older.length > 0 ? `; earlier holders of this username: ${older.join(', ')}` : ''})`;
    anchor = newest ?? who;
  }
  const found = await readStatus(client, anchor);
  const uiLink = ui ? personUiLink(anchor, ui) : undefined;
  const link = uiLink ? `\nTemporal UI: ${uiLink}` : '';
  if (!found) return fail(`idsync has no workflow for ${who} (anchor ${anchor}): no event was processed for this person yet${link}`);
  return { code: EXIT.ok, text: `${formatStatus(found.status, found.run)}${note}${link}`, json: { ...found, ...(uiLink ? { uiLink } : {}), ...(note ? { foundBy: 'usernameKey' } : {}) } };
}

/** Provision on demand: a `sync` event to the person's workflow, then wait for its outcome. */
export async function syncCommand(client: Client, directory: DirectorySource, who: string, waitMs: number): Promise<CommandResult> {
  const person = await resolvePerson(directory, who);
  if (!person) return fail(`no person "${who}" in the directory (give an anchor, username or email)`);
  const event: IdentityEvent = {
    eventId: `cli-sync-${randomUUID()}`,
    kind: 'sync',
    anchor: person.anchor,
    source: 'cli',
    observedAt: new Date().toISOString(),
    reason: 'provisioning requested from the CLI',
  };
  await client.workflow.signalWithStart(WORKFLOW_TYPES.personLifecycle, {
    workflowId: personWorkflowId(person.anchor),
    taskQueue: TASK_QUEUES.orchestration,
    args: [{ anchor: person.anchor }],
    signal: identityEventSignal,
    signalArgs: [event],
    staticSummary: personSummary(person, person.anchor),
  });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await readStatus(client, person.anchor);
    const outcome = found?.status.recent.find((o) => o.eventId === event.eventId);
    if (outcome) {
      const ok = outcome.outcome === 'converged' || outcome.outcome === 'superseded-before-start';
      const text = `sync of ${person.username}: ${outcome.outcome}${outcome.message ? ` (${outcome.message})` : ''}\n\n${formatStatus(found!.status, found!.run)}`;
      return { code: ok ? EXIT.ok : EXIT.failure, text, json: { event, outcome, status: found!.status } };
    }
    if (Date.now() > deadline) {
      return { code: EXIT.failure, text: `sync of ${person.username} requested (event ${event.eventId}) but not finished within ${waitMs / 1000}s; see \`idsync status ${who}\``, json: { event, pending: true } };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Approve or reject through the update, so the approver gets a synchronous answer. */
export async function decideCommand(client: Client, directory: DirectorySource, target: string, decision: 'approve' | 'reject', approver: string, comment?: string): Promise<CommandResult> {
  let runId = target;
  if (parseWorkflowId(target)?.type !== 'run') {
    const found = await readStatus(client, await resolveAnchor(directory, target));
    if (!found?.status.activeRun) return fail(`nothing is waiting for approval for ${target}`);
    runId = found.status.activeRun.workflowId;
  }
  let answer: ApprovalAnswer;
  try {
    answer = await client.workflow.getHandle(runId).executeUpdate(decideApprovalUpdate, { args: [{ decision, approver, comment }] });
  } catch (err) {
    const message = updateFailureMessage(err);
    return fail(`${decision} refused: ${message} (run ${runId})`);
  }
  return { code: answer.accepted ? EXIT.ok : EXIT.failure, text: formatApproval(answer, runId), json: { run: runId, ...answer } };
}

export async function auditVerifyCommand(config: IdsyncConfig, file?: string): Promise<CommandResult> {
  const path = file ?? config.audit.path;
  try {
    const result = await verifyAuditLog(path);
    return { code: result.ok ? EXIT.ok : EXIT.failure, text: formatVerification(path, result), json: { path, ...result } };
  } catch (err) {
    return fail(`cannot read the audit log ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
