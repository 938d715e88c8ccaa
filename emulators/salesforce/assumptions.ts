import { SalesforceApiError, badRequest } from './errors';

/**
 * Every emulator behaviour that the Salesforce contract marks as unverified (documentation or field
 * reports, not observed against a live org), in one place so it can be corrected once it is known.
 * Everything else in this folder follows verified or documented behaviour.
 */
export const ASSUMED = {
  /** Usernames are widely reported to be stored lower-cased (uniqueness is certainly case-insensitive). */
  storeUsernamesLowerCase: true,
  /**
   * "In the format of an email address" read as RFC 5322's unquoted address (rules.ts, isValidUsername):
   * ASCII only, one "@", no quoted local parts, a dotted domain. Field reports say the UI accepts
   * several "@"; we follow the documented rule.
   */
  usernameIsUnquotedEmailAddress: true,
  /** FederationIdentifier uniqueness is reported, not documented: on by default (emulator flag), compared case-insensitively. */
  federationIdUniqueByDefault: true,
  /** A duplicate GroupMember insert "returns the existing row": we answer 201 with the existing id. */
  duplicateGroupMemberStatus: 201,
  /** Deactivation is believed to leave permission-set assignments and group memberships in place. */
  deactivationKeepsAssignments: true,
} as const;

/** Unknown or expired query locator: status believed to be 400. */
export const invalidQueryLocator = () => badRequest('INVALID_QUERY_LOCATOR', 'invalid query locator');

/** Unassigning a profile-owned permission set (exact code unknown; INVALID_CROSS_REFERENCE_KEY or DELETE_FAILED). */
export const ownedAssignmentDelete = () => badRequest('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id: the assignment is owned by a profile');

/** Assigning a profile-owned permission set directly (code unknown). */
export const ownedAssignmentCreate = () => badRequest('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id: cannot assign a permission set owned by a profile', ['PermissionSetId']);

/** Removing a permission-set license a remaining assignment still needs (code and text unknown). */
export const licenseInUse = (permissionSets: string[]) =>
  badRequest('DELETE_FAILED', `Your attempt to delete this permission set license assignment could not be completed because it is used by the permission sets: ${permissionSets.join(', ')}`);

/** Fault injection's rate-limit signal: the concurrent-request flavour of REQUEST_LIMIT_EXCEEDED. */
export const concurrentLimit = () => new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.');
