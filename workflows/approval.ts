/**
 * Approval of privileged grants inside a run workflow. Decisions arrive as `approve` / `reject`
 * signals or as the `decideApproval` update (synchronous answer for the CLI). Only an approver the
 * authorizeApprover activity accepts counts; everything else is audited and ignored. An unanswered
 * request expires at its deadline, and a newer event for the person supersedes it.
 */
import { condition, metricMeter, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { approveSignal, decideApprovalUpdate, rejectSignal } from './person-messages';
import { directoryActivities, SA } from './person-activities';
import type { TargetPlan } from '../policy/plan';
import { idsyncMetrics } from '../lib/metrics';
import type { ApprovalAnswer, ApprovalDecisionInput, ApprovalRequestView, ApprovalState, RunInput } from './person-types';

type Decision = 'approve' | 'reject';

export class ApprovalGate {
  readonly view: ApprovalRequestView;
  private readonly audit;
  private readonly authorize;

  constructor(
    private readonly input: RunInput,
    /** The person's own username: a request from it is refused before any activity runs. */
    private readonly personUsername: () => string | undefined,
  ) {
    this.view = { runWorkflowId: workflowInfo().workflowId, person: input.anchor, state: 'none', grants: [], refused: [] };
    const activities = directoryActivities(input.options);
    this.audit = activities.recordAudit;
    this.authorize = activities.authorizeApprover;
  }

  get state(): ApprovalState {
    return this.view.state;
  }

  install(): void {
    setHandler(approveSignal, async (d) => void (await this.consider('approve', d)));
    setHandler(rejectSignal, async (d) => void (await this.consider('reject', d)));
    setHandler(decideApprovalUpdate, ({ decision, ...d }) => this.consider(decision, d), {
      // Update validators run synchronously (no activities): reject what can never be accepted, before it enters history.
      validator: ({ decision, approver }) => {
        if (decision !== 'approve' && decision !== 'reject') throw new Error(`decision must be approve or reject, not ${String(decision)}`);
        if (!approver || !approver.trim()) throw new Error('an approver identity is required');
        if (this.view.state !== 'pending') throw new Error(`no approval is pending for this run (state: ${this.view.state})`);
        if (this.isSelf(approver)) throw new Error(`${approver} cannot approve their own access`);
      },
    });
  }

  /** Holds `grants` until a decision, the deadline or `superseded()`; returns how it ended. */
  async request(targets: TargetPlan[], timeoutMs: number, superseded: () => boolean): Promise<ApprovalState> {
    const now = Date.now();
    this.view.grants = targets.flatMap((t) => t.heldForApproval.map((e) => ({ target: t.target, kind: e.kind, name: e.name, rule: e.rule })));
    this.view.requestedAt = new Date(now).toISOString();
    this.view.deadline = new Date(now + timeoutMs).toISOString();
    this.setState('pending');
    await this.audit({ actor: 'idsync', action: 'approval-requested', person: this.input.anchor, after: this.view.grants, reason: `deadline ${this.view.deadline}` });
    const decided = await condition(() => this.view.state !== 'pending' || superseded(), timeoutMs);
    if (this.view.state !== 'pending') return this.view.state;
    if (decided) {
      this.setState('superseded');
      await this.audit({ actor: 'idsync', action: 'approval-superseded', person: this.input.anchor, after: this.view.grants, reason: 'a newer event for the person replaced this run' });
    } else {
      this.setState('expired');
      await this.audit({ actor: 'idsync', action: 'approval-expired', person: this.input.anchor, after: this.view.grants, reason: `no decision by ${this.view.deadline}: grants not applied` });
    }
    return this.view.state;
  }

  private isSelf(approver: string): boolean {
    const own = this.personUsername();
    return !!own && own.toLowerCase() === approver.trim().toLowerCase();
  }

  private async consider(decision: Decision, input: ApprovalDecisionInput): Promise<ApprovalAnswer> {
    const approver = (input.approver ?? '').trim();
    if (this.view.state !== 'pending') return this.refuse(approver, `no approval is pending (state: ${this.view.state})`);
    const check = this.isSelf(approver)
      ? { authorized: false, reason: `${approver} cannot approve their own access` }
      : await this.authorize(this.input.anchor, approver);
    if (!check.authorized) return this.refuse(approver, check.reason);
    // Another decision may have landed while the check ran: the first authorised one wins.
    if (this.view.state !== 'pending') return this.refuse(approver, `already decided (${this.view.state})`);
    this.view.decidedBy = approver;
    this.view.comment = input.comment;
    this.setState(decision === 'approve' ? 'approved' : 'rejected');
    await this.audit({
      actor: approver,
      action: decision,
      person: this.input.anchor,
      after: this.view.grants,
      rule: `approval:${this.view.runWorkflowId}`,
      reason: [check.reason, input.comment && `comment: ${input.comment}`].filter(Boolean).join('; '),
    });
    return { accepted: true, state: this.view.state, message: `${decision === 'approve' ? 'approved' : 'rejected'} by ${approver}` };
  }

  private async refuse(approver: string, reason: string): Promise<ApprovalAnswer> {
    // Bounded: a flood of bogus signals must not grow the workflow's state (every one is still audited).
    this.view.refused = [...this.view.refused, { approver, reason, at: new Date().toISOString() }].slice(-20);
    await this.audit({ actor: approver || '(anonymous)', action: 'approval-refused', person: this.input.anchor, reason });
    return { accepted: false, state: this.view.state, message: reason };
  }

  private setState(state: ApprovalState): void {
    const metrics = idsyncMetrics(metricMeter);
    if (state === 'pending') metrics.approvalRequested();
    else if (this.view.state === 'pending') metrics.approvalEnded(state);
    this.view.state = state;
    upsertSearchAttributes([{ key: SA.approvalState, value: state === 'superseded' ? 'rejected' : state }]);
  }
}
