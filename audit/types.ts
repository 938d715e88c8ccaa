/** What the audit log records and the one operation everyone writes it with. */

/** One audit record: who or what decided or changed what, for whom, where, and why. */
export interface AuditRecordInput {
  /** "idsync" for automatic decisions, or the approver/operator identity. */
  actor: string;
  /** e.g. "plan", "grant", "revoke", "create", "suspend", "remove", "approve", "reject", "guard-hold". */
  action: string;
  /** Person anchor (identifier only). */
  person?: string;
  target?: string;
  before?: unknown;
  after?: unknown;
  /** Policy rule id or approval id behind the change. */
  rule?: string;
  reason?: string;
  workflowId?: string;
  runId?: string;
  /** Idempotency key: the same key appended twice (activity retry) is stored once. */
  key?: string;
}

export interface AuditSink {
  append(record: AuditRecordInput): Promise<void>;
}
