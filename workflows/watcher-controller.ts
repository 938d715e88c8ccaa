/**
 * The directory watcher's decisions, as a plain class (the shape of temporalio/samples-typescript's
 * message-passing/safe-message-handlers): what to do with a poll outcome, queued operator decisions
 * on the mass-change guard's held batch, generation bookkeeping and when a run is over. No Temporal
 * API is called here, so it is unit-tested with plain objects; workflows/directory-watcher.ts wires
 * it to signals, activities, timers and continue-as-new.
 */
import type { AdmissionOutcome, AdmissionRequest, AdmissionVerdict, BatchDecision, DecisionOutcome, PendingSummary, PollOutcome } from '../directory/watch/types';
import { GUARD_SOURCES } from '../domain/deprovisioning';
import { GUARD_STATES, type GuardState } from '../lib/search-attributes';

export interface DirectoryWatcherInput {
  /** State generation to resume from; absent: the newest on disk. */
  generation?: number | null;
  /**
   * Where the watcher's activities run (default: the watcher's own activity queue). Watchers started
   * before it existed carry the shared directory queue here, across continue-as-new.
   */
  activityTaskQueue?: string;
  /** Carried over continue-as-new so status survives it. */
  lastPollAt?: string | null;
  cursorAdvancedAt?: string | null;
}

export interface WatcherStatus {
  generation: number | null;
  lastPollAt: string | null;
  cursorAdvancedAt: string | null;
  /** Milliseconds since the cursor last moved, as of the last poll. */
  cursorAgeMs: number | null;
  people: number;
  pendingBatch: PendingSummary | null;
  decisions: { batchId: string; approved: boolean; operator: string; at: string }[];
  /** Decisions refused (anonymous, not an operator, no such batch), newest last. */
  refusals: { batchId: string; operator: string; reason: string; at: string }[];
}

/** The synchronous answer to the decideBatch update. */
export interface DecisionAnswer {
  accepted: boolean;
  batchId: string;
  message: string;
}

/** An operator's decision as the approveBatch / rejectBatch signal (or the decideBatch update) delivered it, waiting to be applied. */
export type QueuedDecision = BatchDecision & { approve: boolean; requestId?: number };

/** What the decideDirectoryWatcherBatch activity is asked to apply (activities/directory.ts WatcherDecisionInput). */
export type DecisionRequest = QueuedDecision & { batchId: string; generation: number | null };

/** An admission request waiting to be put to the guard, with the id its update waits on. */
export type AdmissionWork = AdmissionRequest & { generation: number | null; answerId: number };

/** Polls per run until the first outcome brings the configured number. */
const INITIAL_POLLS_PER_RUN = 200;
const INITIAL_POLL_INTERVAL_MS = 2000;
const REMEMBERED_REFUSALS = 20;
/** After a poll that took the whole interval or longer, still this share of it passes before the next one. */
const MIN_PAUSE_SHARE = 0.25;

export class WatcherController {
  readonly status: WatcherStatus;
  private generation: number | null;
  private readonly queued: QueuedDecision[] = [];
  /** The IdsyncGuardState value last set on this run; null until the first outcome sets it. */
  private guardState: GuardState | null = null;
  private polls = 0;
  private pollsPerRun = INITIAL_POLLS_PER_RUN;
  private pollIntervalMsValue = INITIAL_POLL_INTERVAL_MS;
  private nextRequestId = 1;
  private readonly answers = new Map<number, DecisionAnswer>();
  private readonly admissions: { request: AdmissionRequest; answerId: number }[] = [];
  private readonly admissionAnswers = new Map<number, AdmissionVerdict>();
  private nextAdmissionId = 1;

  constructor(private readonly input: DirectoryWatcherInput = {}) {
    this.generation = input.generation ?? null;
    this.status = {
      generation: this.generation,
      lastPollAt: input.lastPollAt ?? null,
      cursorAdvancedAt: input.cursorAdvancedAt ?? null,
      cursorAgeMs: null,
      people: 0,
      pendingBatch: null,
      decisions: [],
      refusals: [],
    };
  }

  /**
   * Signal and update handler body: queues the decision. Even an anonymous one is queued: the decide
   * activity refuses it and writes the refusal to the audit log, so nothing is dropped silently.
   * With `answer` (the update), returns the request id whose answer it waits on.
   */
  acceptDecision(decision: BatchDecision, approve: boolean, answer = false): number | undefined {
    const requestId = answer ? this.nextRequestId++ : undefined;
    const operator = typeof decision?.operator === 'string' ? decision.operator : '';
    this.queued.push({ ...decision, operator, comment: String(decision?.comment ?? ''), approve, ...(requestId !== undefined ? { requestId } : {}) });
    return requestId;
  }

  /** The decideBatch update's validator: refuse, before it enters history, what can never be accepted. */
  validateDecision(decision: { decision?: unknown; operator?: unknown; batchId?: unknown }): void {
    if (decision.decision !== 'approve' && decision.decision !== 'reject') throw new Error(`decision must be approve or reject, not ${String(decision.decision)}`);
    if (typeof decision.operator !== 'string' || decision.operator.trim() === '') throw new Error('an operator identity is required');
    const pending = this.status.pendingBatch;
    if (!pending) throw new Error('no batch is held');
    if (decision.batchId !== undefined && decision.batchId !== pending.batchId) throw new Error(`batch ${String(decision.batchId)} is not the one held (${pending.batchId})`);
  }

  /** The answer for an update's request, once its decision has been applied (or refused). */
  answerFor(requestId: number): DecisionAnswer | undefined {
    return this.answers.get(requestId);
  }

  /** Decisions or admission requests wait to be applied (they wake the loop before the next poll). */
  hasQueuedWork(): boolean {
    return this.queued.length > 0 || this.admissions.length > 0;
  }

  /** The admitDeprovisioning update's validator: a malformed request never enters history. */
  validateAdmission(request: Partial<AdmissionRequest>): void {
    if (typeof request.requestId !== 'string' || request.requestId.trim() === '') throw new Error('requestId is required');
    if (!GUARD_SOURCES.includes(request.source as never)) throw new Error(`source must be one of ${GUARD_SOURCES.join(', ')}, not ${String(request.source)}`);
    if (!Number.isInteger(request.count) || (request.count as number) < 1) throw new Error(`count must be a whole number of at least 1, not ${String(request.count)}`);
    if (typeof request.what !== 'string' || request.what.trim() === '') throw new Error('what is required: say what asks, for the operator');
  }

  /** Queues an admission request; returns the id whose answer its update waits on. */
  acceptAdmission(request: AdmissionRequest): number {
    const answerId = this.nextAdmissionId++;
    this.admissions.push({ request, answerId });
    return answerId;
  }

  nextAdmission(): AdmissionWork | null {
    const next = this.admissions.shift();
    return next ? { ...next.request, generation: this.generation, answerId: next.answerId } : null;
  }

  admissionApplied(work: AdmissionWork, outcome: AdmissionOutcome): GuardState | null {
    this.admissionAnswers.set(work.answerId, outcome.verdict);
    return this.record(outcome);
  }

  admissionAnswer(answerId: number): AdmissionVerdict | undefined {
    return this.admissionAnswers.get(answerId);
  }

  /**
   * The next queued decision to apply, or null when none is left. A decision that names no batch
   * applies to the batch pending now; with none pending it is dropped.
   */
  nextDecision(): DecisionRequest | null {
    while (this.queued.length > 0) {
      const decision = this.queued.shift()!;
      const batchId = decision.batchId ?? this.status.pendingBatch?.batchId;
      if (batchId) return { ...decision, batchId, generation: this.generation };
      if (decision.requestId !== undefined) this.answers.set(decision.requestId, { accepted: false, batchId: '', message: 'no batch is held' });
    }
    return null;
  }

  /** Records an applied (or refused) decision; returns the guard state to set on the workflow, if it changed. */
  decisionApplied(request: DecisionRequest, outcome: DecisionOutcome): GuardState | null {
    const at = outcome.lastPollAt;
    if (outcome.refused) {
      this.status.refusals = [...this.status.refusals, { batchId: request.batchId, operator: request.operator, reason: outcome.refused, at }].slice(-REMEMBERED_REFUSALS);
    } else {
      this.status.decisions.push({ batchId: request.batchId, approved: request.approve, operator: request.operator, at });
    }
    if (request.requestId !== undefined) {
      const verb = request.approve ? 'approved: its leavers are released' : 'rejected: not now; people still gone after the recheck period come back as a new batch';
      this.answers.set(request.requestId, { accepted: !outcome.refused, batchId: request.batchId, message: outcome.refused ?? `batch ${request.batchId} ${verb}` });
    }
    return this.record(outcome);
  }

  /** What the next poll reads from: the generation the last outcome wrote. */
  pollRequest(): { generation: number | null } {
    return { generation: this.generation };
  }

  /** Records a poll; returns the guard state to set on the workflow, if it changed. */
  pollCompleted(outcome: PollOutcome): GuardState | null {
    this.polls += 1;
    this.pollIntervalMsValue = outcome.pollIntervalMs;
    this.pollsPerRun = outcome.pollsPerRun;
    return this.record(outcome);
  }

  /** How long to wait for a decision before the next poll (the configured interval, from the last outcome). */
  get pollIntervalMs(): number {
    return this.pollIntervalMsValue;
  }

  /**
   * How long to wait after a poll that took `pollMs`: polls start one interval apart, rather than an
   * interval after the last one ended, so a change waits at most one interval for the poll that reads
   * it, however long polls take in a big directory. A poll that took the interval or longer is still
   * followed by a quarter of it, so a slow directory is never polled back to back.
   */
  pauseAfterPoll(pollMs: number): number {
    return Math.max(this.pollIntervalMsValue - pollMs, Math.ceil(this.pollIntervalMsValue * MIN_PAUSE_SHARE));
  }

  /** The run hands over to a new one once it has polled its share, or earlier when the server suggests it. */
  runIsOver(continueAsNewSuggested: boolean): boolean {
    return continueAsNewSuggested || this.polls >= this.pollsPerRun;
  }

  /** The next run's input: where this one got to, so its status and generation survive the hand-over. */
  continueAsNewInput(): DirectoryWatcherInput {
    return {
      generation: this.generation,
      activityTaskQueue: this.input.activityTaskQueue,
      lastPollAt: this.status.lastPollAt,
      cursorAdvancedAt: this.status.cursorAdvancedAt,
    };
  }

  private record(outcome: PollOutcome): GuardState | null {
    this.generation = outcome.generation;
    const status = this.status;
    status.generation = outcome.generation;
    status.lastPollAt = outcome.lastPollAt;
    status.cursorAdvancedAt = outcome.cursorAdvancedAt;
    status.cursorAgeMs = outcome.cursorAdvancedAt ? Date.parse(outcome.lastPollAt) - Date.parse(outcome.cursorAdvancedAt) : null;
    status.people = outcome.people;
    status.pendingBatch = outcome.pending;
    const wanted = outcome.pending ? GUARD_STATES.awaitingApproval : GUARD_STATES.clear;
    if (wanted === this.guardState) return null;
    this.guardState = wanted;
    return wanted;
  }
}
