/**
 * A person as idsync sees them after reading the directory: attribute names are normalised
 * so that policy and targets never depend on which directory (OpenLDAP, AD, OTDS) they came from.
 * Values here are plain data: they travel through Temporal payloads.
 */
export interface Person {
  /** Immutable anchor: entryUUID / objectGUID / employee id. Never reused, never changes on rename. */
  anchor: string;
  /** Directory distinguished name (or OTDS id); changes on rename, so never used as a key. */
  dn: string;
  /** Login name in the directory (uid / sAMAccountName). */
  username: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  displayName?: string;
  employeeId?: string;
  employeeType?: string;
  department?: string;
  title?: string;
  region?: string;
  businessUnit?: string;
  /** Anchor of the manager, when the directory names one and it resolves. */
  managerAnchor?: string;
  managerDn?: string;
  /** ISO dates (YYYY-MM-DD or full ISO timestamp) from the configured attributes, if any. */
  startDate?: string;
  endDate?: string;
  /** False when the directory marks the account disabled (AD userAccountControl bit, OTDS, pwdAccountLockedTime, ...). */
  enabled: boolean;
  /** Names (cn) of every group the person belongs to, nested groups resolved. Sorted, unique. */
  groups: string[];
  /** Any further attributes the configuration asked for, by their directory name. */
  extra: Record<string, string | string[]>;
}

/** What kind of lifecycle change a directory event means for one person. */
export type IdentityEventKind = 'joiner' | 'mover' | 'leaver' | 'rehire' | 'sync';

export interface IdentityEvent {
  /** Deterministic id derived from the person and the change: the same change seen twice has the same id. */
  eventId: string;
  kind: IdentityEventKind;
  anchor: string;
  /** Where the event came from, for the audit log. */
  source: 'ldap' | 'otds' | 'scim' | 'intake' | 'cli' | 'reconcile' | 'retry';
  /** When the directory change was observed (ISO). */
  observedAt: string;
  /** Short human reason, e.g. "groups changed: +sales-emea", "entry deleted". No secrets. */
  reason: string;
  /**
   * The person's state as the source saw it; absent for deletions. Workflows still re-read the
   * directory before acting where a directory is configured, so a stale event cannot grant access.
   */
  person?: Person;
  /**
   * True only on an intake event from a source configured authoritative for person data (its own
   * signature verified): when the directory does not have the person, `person` is the record to
   * provision from. Absent everywhere else, where the directory alone decides.
   */
  personAuthoritative?: boolean;
}
