import type { z } from 'zod';
import type { TargetKindDescription } from './description';

/**
 * The one interface every target kind implements. Workflows never see it: they call the generic
 * provisioning activities (activities/provisioning.ts), which look the adapter up by target name.
 * Every method is an idempotent *ensure*: read the target, compare, write only the difference,
 * so a retry after a crash at any point converges to the same state and never a second account.
 */

/** One grant in a target, in the target's own vocabulary (e.g. kind "permissionSet", name "Sales_Ops"). */
export interface Entitlement {
  /** Entitlement kind the adapter understands; see each adapter's `entitlementKinds`. */
  kind: string;
  /** Human name as configured in policy (profile name, role name, team name, group displayName...). */
  name: string;
  /** Grants marked privileged wait for an approval before they are applied. */
  privileged?: boolean;
  /** Id of the policy rule that caused this grant, for plans and audit. */
  rule?: string;
}

/** What the policy wants a person's account in one target to look like. */
export interface DesiredAccount {
  /** Immutable anchor (directory entryUUID/objectGUID/employee id); stored in FederationIdentifier / externalId. */
  anchor: string;
  /** Target login name (Salesforce Username, SCIM userName, HubSpot/Highspot email). */
  username: string;
  email: string;
  givenName?: string;
  familyName?: string;
  /** Target-specific attributes already mapped by policy (e.g. Salesforce Alias, TimeZoneSidKey, Department). */
  attributes: Record<string, string | number | boolean | null>;
  /** False pre-creates the account inactive (future start date). */
  active: boolean;
  entitlements: Entitlement[];
  /** The account idsync already manages for this person (its link): ensure acts on it rather than matching again. */
  accountId?: string;
}

/**
 * How the target should be matched to a person: the linked account first (when idsync remembers
 * one and it still exists), then anchor, then username/email case-insensitively.
 */
export interface MatchKeys {
  anchor: string;
  /**
   * The account idsync linked to this person (created or adopted earlier). When it still exists it
   * IS the person's account, even with no username/email left (a person deleted from the directory);
   * when it carries another person's anchor the adapter refuses with LinkConflict.
   */
  accountId?: string;
  username?: string;
  email?: string;
}

/** An account as read from the target. */
export interface AccountState {
  id: string;
  username: string;
  email?: string;
  anchor?: string;
  givenName?: string;
  familyName?: string;
  /** Whether the person can use the account right now. */
  active: boolean;
  /** Salesforce freeze, HubSpot "all permissions removed", ...: access cut but not yet deprovisioned. */
  suspended?: boolean;
  attributes: Record<string, string | number | boolean | null>;
  entitlements: Entitlement[];
  /** ISO timestamp of the last login/activity where the target exposes it. */
  lastActivityAt?: string;
}

/** One change applied (or that would be applied) to a target: the unit of the audit log. */
export interface Change {
  action: 'create' | 'update' | 'activate' | 'deactivate' | 'suspend' | 'unsuspend' | 'grant' | 'revoke' | 'remove' | 'link';
  target: string;
  accountId?: string;
  /** What changed, e.g. "Department" or "permissionSet:Sales_Ops". */
  subject: string;
  before?: unknown;
  after?: unknown;
  rule?: string;
}

export interface EnsureAccountResult {
  accountId: string;
  created: boolean;
  changes: Change[];
}

export type EntitlementMode = 'merge' | 'overwrite';

export interface TargetAdapter {
  readonly name: string;
  readonly kind: string;
  /** Entitlement kinds this target understands: its description's, which policy validation checks at start. */
  readonly entitlementKinds: readonly string[];
  /**
   * The linked account (`match.accountId`) if it still exists, else anchor first, then username/email
   * case-insensitively. Two candidates: AmbiguousMatch; a linked account anchored to someone else:
   * LinkConflict (both non-retryable). suspend and remove locate the account the same way.
   */
  findAccount(match: MatchKeys): Promise<AccountState | null>;
  /** Create, update, link (write the anchor) or reactivate so the account matches `desired` (entitlements excluded). */
  ensureAccount(desired: DesiredAccount): Promise<EnsureAccountResult>;
  /**
   * Make the account's entitlements equal `desired` (overwrite) or a superset of it (merge: grants
   * only, nothing revoked). Every kind in `entitlementKinds` is managed, except grants the target's
   * config tells idsync to ignore.
   */
  ensureEntitlements(accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]>;
  /** Cut access now, keep the account for the grace period (Salesforce freeze/deactivate, HubSpot strip permissions, SCIM active=false). */
  suspend(match: MatchKeys): Promise<Change[]>;
  /** Finish deprovisioning after the grace period (deactivate, delete, remove from the account). Absent account: no change. */
  remove(match: MatchKeys): Promise<Change[]>;
  /** Every account with its entitlements, for reconciliation. Streams pages. */
  listAccounts(): AsyncIterable<AccountState>;
  /** Names of every entitlement of each kind the target offers (catalog), for validating policy. */
  listCatalog(): Promise<Record<string, string[]>>;
  /** Release connections/timers. */
  close?(): Promise<void>;
}

/** Per-target settings every target kind shares; each kind extends this schema with its own fields. */
export interface CommonTargetConfig {
  kind: string;
  enabled: boolean;
  /** merge: never revoke entitlements idsync did not grant; overwrite: converge exactly to policy. */
  entitlementMode: EntitlementMode;
  /** Grace period between suspend and remove, e.g. "30d", "12h". */
  gracePeriod: string;
  /** Server-side rate limit and concurrency of this target's activity task queue. */
  rateLimit: { activitiesPerSecond: number; maxConcurrent: number };
}

/** What a target folder exports so that adding a target is adding one folder plus one registry line. */
export interface TargetDefinition<C extends CommonTargetConfig = CommonTargetConfig> {
  kind: string;
  /**
   * The kind's facts for policy and config validation (entitlement kinds, single-valued kinds,
   * account field rules, ...): plain data from `targets/<kind>/description.ts`.
   */
  description: TargetKindDescription;
  /** zod schema of this kind's config block (including the common fields: use `commonTargetFields`). */
  configSchema: z.ZodType<C>;
  /** Build an adapter. `name` is the key under `targets:` in config; secrets come from `env`. */
  createAdapter(name: string, config: C, env: NodeJS.ProcessEnv): TargetAdapter;
}
