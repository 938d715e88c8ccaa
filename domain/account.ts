/**
 * Accounts, entitlements and changes as every layer speaks of them: what policy wants an account to
 * be, how a person's account is matched, what a target holds, and one applied change (the unit of the
 * audit log). Plain data with no imports, so anything may use it, workflow code included.
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
