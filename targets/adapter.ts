import type { z } from 'zod';
import type { TargetKindDescription } from '../domain/target-kind';
import type { AccountState, Change, DesiredAccount, EnsureAccountResult, Entitlement, EntitlementMode, MatchKeys } from '../domain/account';

/**
 * The one interface every target kind implements. Workflows never see it: they call the generic
 * provisioning activities (activities/provisioning.ts), which look the adapter up by target name.
 * Every method is an idempotent *ensure*: read the target, compare, write only the difference,
 * so a retry after a crash at any point converges to the same state and never a second account.
 * The account, entitlement and change types it speaks are the domain's (domain/account.ts).
 */

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
