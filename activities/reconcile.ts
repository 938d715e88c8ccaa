/**
 * Reconciliation activities. prepare / finish / deliver run on the directory queue; readAccountPage
 * and suspendReconciledAccount run on each target's queue, one activity per page or per account, so
 * the queue's server-side rate limit paces every read and write a run makes in that target.
 * Rows and plans go to files (reconcile-files.ts); activities return counts only.
 */
import { Context } from '@temporalio/activity';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import type { Client } from '@temporalio/client';
import { askMassChangeGuard, GuardUnavailable } from './mass-change-guard';
import type { AdmissionVerdict } from '../directory/watch/types';
import type { Runtime } from '../app/runtime';
import type { TargetAdapter } from '../targets/adapter';
import type { AccountState, MatchKeys } from '../domain/account';
import { nonRetryable, retryable } from '../lib/errors';
import { readAuditLog } from '../audit';
import { countSituations, markDuplicateAccounts, planReactions, reactionFor, type ReconcileRow } from '../policy/reconcile';
import { reconcileSettingsFor, type Reaction, type Situation } from '../policy/reconcile-config';
import { enabledTargetNames } from './planning';
import { deliverIdentityEvents, withHeartbeat } from './directory';
import { approvalKey, buildTargetMatcher, type TargetMatcher } from './reconcile-match';
import { reportDirOf, RunFiles, writeReport, type RunIndex } from './reconcile-files';
import { AccountPager } from './reconcile-pager';
import { targetDescription } from '../targets/registry';

const LINKS = SEARCH_ATTRIBUTE_KEYS.links;
const PERSON = SEARCH_ATTRIBUTE_KEYS.person;
const PERSON_WORKFLOW_PREFIX = 'idsync-person-';

export interface PrepareInput {
  runKey: string;
  asOf: string;
  /** Restrict to these targets; absent: every enabled target. */
  targets?: string[];
}

export interface PrepareResult {
  targets: string[];
  people: number;
  linkedPeople: number;
  pageSize: number;
}

export interface PageInput {
  runKey: string;
  target: string;
  page: number;
  pageSize: number;
}

export interface PageResult {
  accounts: number;
  done: boolean;
}

export interface TargetSummary {
  accounts: number;
  situations: Partial<Record<Situation, number>>;
}

export interface FinishInput {
  runKey: string;
  asOf: string;
  targets: string[];
  apply: boolean;
  /** People in the directory: the guard's percentage base. */
  people: number;
  trigger: string;
}

export interface FinishResult {
  targets: Record<string, TargetSummary>;
  reportJson: string;
  reportCsv: string;
  events: number;
  suspensions: Record<string, number>;
  changedSubjects: number;
  /**
   * Runs before the one mass-change guard computed their own hold here; kept so their recorded
   * histories replay. The guard (activities/mass-change-guard.ts) decides now.
   */
  holdReason?: string | null;
}

/** Link keys (`<target>:<accountId>`) with an account id that is the reconciled one. */
export type SuspendMatch = MatchKeys & { accountId: string };


function adapterFor(runtime: Runtime, target: string): TargetAdapter {
  const adapter = runtime.adapters.get(target);
  if (!adapter) throw nonRetryable('ConfigError', `no adapter configured for target ${target}`, { target });
  return adapter;
}

/** Who links which accounts: the IdsyncLinks of every running person workflow (Temporal visibility). */
async function readLinks(client: Client): Promise<Record<string, string[]>> {
  const links: Record<string, string[]> = {};
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    if (!wf.workflowId.startsWith(PERSON_WORKFLOW_PREFIX)) continue;
    const values = wf.typedSearchAttributes.get(LINKS);
    if (!values || values.length === 0) continue;
    const anchor = wf.typedSearchAttributes.get(PERSON) ?? wf.workflowId.slice(PERSON_WORKFLOW_PREFIX.length);
    links[anchor] = [...new Set([...(links[anchor] ?? []), ...values])];
  }
  return links;
}

/** Privileged grants some authorised approver approved, from the audit log's `approve` records. */
async function readApprovals(path: string): Promise<string[]> {
  const keys = new Set<string>();
  for (const record of await readAuditLog(path)) {
    if (record.action !== 'approve' || !record.person || !Array.isArray(record.after)) continue;
    for (const grant of record.after as { target?: string; kind?: string; name?: string }[]) {
      if (grant.target && grant.kind && grant.name) keys.add(approvalKey(record.person, grant.target, grant.kind, grant.name));
    }
  }
  return [...keys];
}

/** A per-process cache with one slot per key, dropped after a quiet spell so abandoned runs free memory. */
class IdleCache<V> {
  private readonly entries = new Map<string, { value: V; timer: NodeJS.Timeout }>();
  constructor(private readonly idleMs: number) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry) entry.timer.refresh();
    return entry?.value;
  }

  set(key: string, value: V): V {
    this.delete(key);
    const timer = setTimeout(() => this.entries.delete(key), this.idleMs);
    timer.unref();
    this.entries.set(key, { value, timer });
    return value;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry) clearTimeout(entry.timer);
    this.entries.delete(key);
  }
}

const IDLE_MS = 10 * 60_000;
/** The reactions planReactions acts on; rows with any other reaction only go to the report. */
const ACTIONABLE: ReadonlySet<Reaction> = new Set<Reaction>(['correct', 'link', 'suspend']);
/** Page attempts that look for the worker holding the stream before re-reading from the start. */
const AFFINITY_ATTEMPTS = 8;
const AFFINITY_RETRY_MS = 50;

export function createReconcileActivities(runtime: Runtime, deps: { client: Client; affinityAttempts?: number }) {
  const { config } = runtime;
  const affinityAttempts = deps.affinityAttempts ?? AFFINITY_ATTEMPTS;
  const reportDir = reportDirOf(config);
  const files = (runKey: string) => new RunFiles(reportDir, runKey);
  const indexes = new IdleCache<Promise<RunIndex>>(IDLE_MS);
  const matchers = new IdleCache<TargetMatcher>(IDLE_MS);
  const pagers = new IdleCache<AccountPager>(IDLE_MS);

  const indexOf = (runKey: string) => indexes.get(runKey) ?? indexes.set(runKey, files(runKey).readIndex());
  async function matcherOf(runKey: string, target: string): Promise<TargetMatcher> {
    const key = `${runKey}\u0000${target}`;
    return matchers.get(key) ?? matchers.set(key, buildTargetMatcher(config, await indexOf(runKey), target));
  }

  /** One target's rows with disputes across its pages marked (disputes never span targets). */
  async function finalRows(run: RunFiles, target: string): Promise<ReconcileRow[]> {
    const settings = reconcileSettingsFor(config.reconcile, target, targetDescription(config.targets[target]!.kind));
    return markDuplicateAccounts(await run.readRows(target)).map((r) => (r.situation === 'disputed' ? { ...r, reaction: reactionFor('disputed', settings) } : r));
  }

  /**
   * Two passes over the page files, one target at a time, so at most one target's rows are in
   * memory: the first counts and keeps only the rows that call for a reaction (the plan's input),
   * the second writes the report, whose head carries the counts.
   */
  async function finish(input: FinishInput): Promise<FinishResult> {
    const run = files(input.runKey);
    const summary: Record<string, TargetSummary> = {};
    const actionable: ReconcileRow[] = [];
    for (const target of input.targets) {
      const rows = await finalRows(run, target);
      summary[target] = { accounts: rows.length, situations: countSituations(rows) };
      for (const r of rows) if (ACTIONABLE.has(r.reaction)) actionable.push(r);
    }
    const plan = planReactions(actionable, input.runKey, input.asOf);
    actionable.length = 0;
    await run.writePlan(plan);
    const suspensions: Record<string, number> = {};
    for (const s of plan.suspensions) suspensions[s.target] = (suspensions[s.target] ?? 0) + 1;
    async function* reportRows() {
      for (const target of input.targets) yield* await finalRows(run, target);
    }
    await writeReport(run, { runKey: input.runKey, asOf: input.asOf, trigger: input.trigger, apply: input.apply, summary, events: plan.events.length, suspensions }, reportRows());
    await runtime.audit.append({
      actor: 'idsync',
      action: 'reconcile-report',
      after: { summary, events: plan.events.length, suspensions, apply: input.apply },
      reason: `reconciliation ${input.runKey} (${input.trigger}); report ${run.reportJson}`,
      key: `reconcile-report/${input.runKey}`,
    });
    return { targets: summary, reportJson: run.reportJson, reportCsv: run.reportCsv, events: plan.events.length, suspensions, changedSubjects: plan.changedSubjects };
  }

  return {
    /** Directory queue: everyone in the directory, every link, every approval, written once for the run. */
    async prepareReconcile(input: PrepareInput): Promise<PrepareResult> {
      const enabled = enabledTargetNames(config);
      const unknown = (input.targets ?? []).filter((t) => !enabled.includes(t));
      if (unknown.length > 0) throw nonRetryable('ConfigError', `no enabled target named ${unknown.join(', ')}; enabled: ${enabled.join(', ')}`);
      return withHeartbeat(async () => {
        let linkedPeople = 0;
        const people = await files(input.runKey).writeIndex(runtime.directory.listPeople(), async () => {
          const links = await readLinks(deps.client);
          linkedPeople = Object.keys(links).length;
          return { asOf: input.asOf, links, approvals: await readApprovals(config.audit.path) };
        });
        return {
          targets: input.targets && input.targets.length > 0 ? [...new Set(input.targets)].sort() : enabled,
          people,
          linkedPeople,
          pageSize: config.reconcile?.pageSize ?? 100,
        };
      });
    },

    /** Target queue: the next `pageSize` accounts, classified; rows to the page's file. */
    async readAccountPage(input: PageInput): Promise<PageResult> {
      const adapter = adapterFor(runtime, input.target);
      const matcher = await matcherOf(input.runKey, input.target);
      const key = `${input.runKey}\u0000${input.target}`;
      // The pager left by the previous page continues where it stopped. A page that lands on another
      // worker goes back to the queue (a rate-limited dispatch, no target read) to find the worker
      // holding the stream; only after `affinityAttempts` does it re-read from the start here.
      let pager = pagers.get(key);
      if (!pager || !pager.canServe(input.page)) {
        const attempt = Context.current().info.attempt;
        if (input.page > 0 && !pager && attempt < affinityAttempts) {
          throw retryable('PageElsewhere', `page ${input.page} of ${input.target} continues a stream another worker holds`, { target: input.target }, AFFINITY_RETRY_MS);
        }
        await pager?.close();
        pager = new AccountPager(() => adapter.listAccounts(), input.pageSize);
      }
      pagers.delete(key);
      const accounts: AccountState[] = await pager.page(input.page);
      const rows = accounts.map((a) => matcher.classify(a));
      await files(input.runKey).writePage(input.target, input.page, rows);
      const done = pager.done;
      if (done) await pager.close();
      else pagers.set(key, pager);
      return { accounts: accounts.length, done };
    },

    /** Directory queue: disputes across pages, reactions, report files, guard verdict, audit record. */
    async finishReconcile(input: FinishInput): Promise<FinishResult> {
      return withHeartbeat(() => finish(input));
    },

    /**
     * Directory queue: asks the one mass-change guard whether this run's corrections and suspensions
     * may be applied now. Held, the run waits for the guard's decision signal. Without a running
     * guard nothing is applied (the run says why).
     */
    async admitReconcileCorrections(input: { runKey: string; count: number; waiter: string; guardWorkflowId?: string }): Promise<AdmissionVerdict & { unavailable?: string }> {
      const request = { requestId: input.runKey, source: 'reconcile' as const, count: input.count, what: `reconciliation ${input.runKey}`, waiter: input.waiter };
      try {
        return await askMassChangeGuard(deps.client, request, input.guardWorkflowId);
      } catch (err) {
        if (err instanceof GuardUnavailable) return { admitted: false, unavailable: err.message };
        throw retryable('GuardUnreachable', `could not ask the mass-change guard: ${(err as Error).message}`);
      }
    },

    /** Directory queue: the corrections go to the person workflows (same ordering, same approvals). */
    async deliverReconcileEvents(input: { runKey: string; orchestrationQueue: string }): Promise<number> {
      const plan = await files(input.runKey).readPlan();
      await withHeartbeat(() => deliverIdentityEvents(deps.client, input.orchestrationQueue, plan.events));
      return plan.events.length;
    },

    /** Target queue: cut access of one account no person workflow would touch (orphan, inactive, ...). */
    async suspendReconciledAccount(input: { runKey: string; target: string; index: number }): Promise<number> {
      const plan = await files(input.runKey).readPlan();
      const suspension = plan.suspensions.filter((s) => s.target === input.target)[input.index];
      if (!suspension) throw nonRetryable('NotFound', `reconciliation ${input.runKey} has no suspension #${input.index}`, { target: input.target });
      // accountId names the account exactly; username only helps adapters that do not read accountId yet.
      const match: SuspendMatch = { anchor: '', accountId: suspension.accountId, username: suspension.username };
      const changes = await adapterFor(runtime, input.target).suspend(match);
      const info = Context.current().info;
      for (const [i, change] of changes.entries()) {
        await runtime.audit.append({
          actor: 'idsync',
          action: change.action,
          person: suspension.personAnchor,
          target: input.target,
          after: { subject: change.subject, accountId: change.accountId ?? suspension.accountId },
          rule: `reconcile:${suspension.situation}`,
          reason: `reconciliation ${input.runKey}: ${suspension.situation}`,
          workflowId: info.workflowExecution?.workflowId,
          runId: info.workflowExecution?.runId,
          key: `reconcile-suspend/${input.runKey}/${input.target}/${suspension.accountId}/${i}`,
        });
      }
      return changes.length;
    },

    async cleanUpReconcile(input: { runKey: string }): Promise<void> {
      indexes.delete(input.runKey);
      // The matchers hold the run's people: free them now rather than after the idle spell.
      for (const target of Object.keys(config.targets)) matchers.delete(`${input.runKey}\u0000${target}`);
      await files(input.runKey).removeWorkingFiles();
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
