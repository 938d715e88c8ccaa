import { ASSUMED, licenseInUse, ownedAssignmentCreate, ownedAssignmentDelete } from './assumptions';
import { badRequest } from './errors';
import type { Row } from './soql';
import { toDeveloperName } from './seed';
import type { SalesforceStore } from './store';

/**
 * Object-specific platform rules. `beforeCreate` may return an existing id to answer the insert
 * with that row instead (GroupMember's documented idempotent insert).
 */
export interface ObjectRules {
  beforeCreate?(store: SalesforceStore, fields: Row): string | void;
  afterCreate?(store: SalesforceStore, row: Row): void;
  beforeUpdate?(store: SalesforceStore, row: Row, changes: Row): void;
  afterUpdate?(store: SalesforceStore, row: Row, before: Row): void;
  beforeDelete?(store: SalesforceStore, row: Row): void;
  afterDelete?(store: SalesforceStore, row: Row): void;
}

const USER_REQUIRED = ['Username', 'LastName', 'Email', 'Alias', 'TimeZoneSidKey', 'LocaleSidKey', 'EmailEncodingKey', 'LanguageLocaleKey', 'ProfileId'] as const;

const LICENSE_LIMIT = () => badRequest('LICENSE_LIMIT_EXCEEDED', 'License Limit Exceeded');

function licenseOfProfile(store: SalesforceStore, profileId: unknown): Row {
  const profile = store.get('Profile', String(profileId));
  return store.get('UserLicense', String(profile.UserLicenseId));
}

/** Active users holding a seat of this user license, optionally not counting one user. */
function seatsUsed(store: SalesforceStore, licenseId: unknown, exceptUserId?: unknown): number {
  return store.rows('User').filter((u) => u.IsActive === true && u.Id !== exceptUserId && licenseOfProfile(store, u.ProfileId).Id === licenseId).length;
}

function requireSeat(store: SalesforceStore, profileId: unknown, exceptUserId?: unknown): void {
  const license = licenseOfProfile(store, profileId);
  if (seatsUsed(store, license.Id, exceptUserId) >= Number(license.TotalLicenses)) throw LICENSE_LIMIT();
}

function refreshCounters(store: SalesforceStore): void {
  for (const license of store.rows('UserLicense')) license.UsedLicenses = seatsUsed(store, license.Id);
  for (const psl of store.rows('PermissionSetLicense')) {
    psl.UsedLicenses = store.rows('PermissionSetLicenseAssign').filter((a) => a.PermissionSetLicenseId === psl.Id).length;
  }
}

/**
 * Salesforce documents a username as "in the format of an email address, for example
 * jane@salesforce.com" (the address need not exist: jane@company.sandbox is its own example), at most
 * 80 characters (the field length, checked by the store as STRING_TOO_LONG) and unique across all
 * orgs. "Email format" is read as RFC 5322's unquoted form (assumptions.ts): a local part of ASCII
 * letters, digits and !#$%&'*+/=?^_`{|}~- in dot-separated runs, one "@", and a domain of at least
 * two dot-separated labels of letters, digits and inner hyphens. So "DOMAIN\jdoe", "jane doe@x.com",
 * "jürgen@x.com", "a..b@x.com" or "jdoe@localhost" are refused, as a directory login might be.
 */
const USERNAME_LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const USERNAME_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const USERNAME_SHAPE = new RegExp(`^${USERNAME_LOCAL}@${USERNAME_LABEL}(?:\\.${USERNAME_LABEL})+$`);

export function isValidUsername(username: string): boolean {
  return USERNAME_SHAPE.test(username);
}

function checkUsernameFree(store: SalesforceStore, username: unknown, selfId?: unknown): void {
  const lower = String(username).toLowerCase();
  if (!isValidUsername(String(username))) {
    throw badRequest('INVALID_NEW_USERNAME', 'Invalid username: the username must be in the form of an email address (for example, john@acme.com)', ['Username']);
  }
  const taken = store.usernamesTakenElsewhere.has(lower) || store.rows('User').some((u) => u.Id !== selfId && String(u.Username).toLowerCase() === lower);
  if (taken) {
    throw badRequest(
      'DUPLICATE_USERNAME',
      'Duplicate Username.<br>The username already exists in this or another Salesforce organization. Usernames must be unique across all Salesforce organizations. To resolve, use a different username (it doesn\'t need to match the user\'s email address).',
      ['Username'],
    );
  }
}

function checkFederationIdFree(store: SalesforceStore, value: unknown, selfId?: unknown): void {
  if (!store.options.federationIdUnique || value === null || value === undefined) return;
  // Compared like SOQL compares it (case-insensitively): the stricter reading of an unverified rule (assumptions.ts).
  const lower = String(value).toLowerCase();
  const clash = store.rows('User').find((u) => u.Id !== selfId && typeof u.FederationIdentifier === 'string' && u.FederationIdentifier.toLowerCase() === lower);
  if (clash) throw badRequest('DUPLICATE_VALUE', `duplicate value found: FederationIdentifier duplicates value on record with id: ${String(clash.Id)}`, ['FederationIdentifier']);
}

function checkNicknameFree(store: SalesforceStore, nickname: unknown, selfId?: unknown): void {
  if (!nickname) return;
  const lower = String(nickname).toLowerCase();
  if (store.rows('User').some((u) => u.Id !== selfId && String(u.CommunityNickname).toLowerCase() === lower)) {
    throw badRequest('DUPLICATE_COMM_NICKNAME', 'Duplicate Nickname.<br>Another user has already selected this nickname.<br>Please select another.', ['CommunityNickname']);
  }
}

function ownedPermissionSet(store: SalesforceStore, profileId: unknown): Row | undefined {
  return store.find('PermissionSet', (ps) => ps.IsOwnedByProfile === true && ps.ProfileId === profileId);
}

const userRules: ObjectRules = {
  beforeCreate(store, fields) {
    const missing = USER_REQUIRED.filter((f) => fields[f] === null || fields[f] === undefined || fields[f] === '');
    if (missing.length > 0) throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, [...missing]);
    checkUsernameFree(store, fields.Username);
    checkFederationIdFree(store, fields.FederationIdentifier);
    checkNicknameFree(store, fields.CommunityNickname);
    if (fields.IsActive === undefined) fields.IsActive = true;
    if (fields.IsActive) requireSeat(store, fields.ProfileId);
    if (ASSUMED.storeUsernamesLowerCase) fields.Username = String(fields.Username).toLowerCase();
    fields.CommunityNickname ??= `${String(fields.Username).split('@')[0].slice(0, 30)}${store.rows('User').length + 1}`;
    fields.Name = [fields.FirstName, fields.LastName].filter(Boolean).join(' ');
    fields.UserType = 'Standard';
  },
  afterCreate(store, row) {
    store.insertRaw('UserLogin', { UserId: row.Id, IsFrozen: false, IsPasswordLocked: false });
    const owned = ownedPermissionSet(store, row.ProfileId);
    if (owned) store.insertRaw('PermissionSetAssignment', { AssigneeId: row.Id, PermissionSetId: owned.Id, IsActive: true });
    refreshCounters(store);
  },
  beforeUpdate(store, row, changes) {
    const cleared = USER_REQUIRED.filter((f) => f in changes && (changes[f] === null || changes[f] === ''));
    if (cleared.length > 0) throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${cleared.join(', ')}]`, [...cleared]);
    if ('Username' in changes) {
      checkUsernameFree(store, changes.Username, row.Id);
      if (ASSUMED.storeUsernamesLowerCase) changes.Username = String(changes.Username).toLowerCase();
    }
    if ('FederationIdentifier' in changes) checkFederationIdFree(store, changes.FederationIdentifier, row.Id);
    if ('CommunityNickname' in changes) checkNicknameFree(store, changes.CommunityNickname, row.Id);
    const willBeActive = 'IsActive' in changes ? changes.IsActive === true : row.IsActive === true;
    const profileId = changes.ProfileId ?? row.ProfileId;
    const licenseChanges = licenseOfProfile(store, profileId).Id !== licenseOfProfile(store, row.ProfileId).Id;
    if (willBeActive && (row.IsActive !== true || licenseChanges)) requireSeat(store, profileId, row.Id);
  },
  afterUpdate(store, row, before) {
    row.Name = [row.FirstName, row.LastName].filter(Boolean).join(' ');
    if (before.IsActive === true && row.IsActive === false && !ASSUMED.deactivationKeepsAssignments) {
      for (const a of store.rows('PermissionSetAssignment')) {
        if (a.AssigneeId === row.Id && store.get('PermissionSet', String(a.PermissionSetId)).IsOwnedByProfile !== true) store.removeRaw('PermissionSetAssignment', a.Id as string);
      }
      for (const m of store.rows('GroupMember')) if (m.UserOrGroupId === row.Id) store.removeRaw('GroupMember', m.Id as string);
    }
    if (row.ProfileId !== before.ProfileId) {
      const oldOwned = ownedPermissionSet(store, before.ProfileId);
      const assignment = oldOwned && store.find('PermissionSetAssignment', (a) => a.AssigneeId === row.Id && a.PermissionSetId === oldOwned.Id);
      const newOwned = ownedPermissionSet(store, row.ProfileId);
      if (assignment && newOwned) assignment.PermissionSetId = newOwned.Id;
    }
    refreshCounters(store);
  },
};

const userLoginRules: ObjectRules = {
  beforeUpdate(_store, _row, changes) {
    if (changes.IsPasswordLocked === true) {
      throw badRequest('FIELD_INTEGRITY_EXCEPTION', 'IsPasswordLocked can only be set to false', ['IsPasswordLocked']);
    }
  },
};

const permissionSetAssignmentRules: ObjectRules = {
  beforeCreate(store, fields) {
    const missing = ['AssigneeId', 'PermissionSetId'].filter((f) => !fields[f]);
    if (missing.length > 0) throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    const ps = store.get('PermissionSet', String(fields.PermissionSetId));
    const user = store.get('User', String(fields.AssigneeId));
    if (ps.IsOwnedByProfile === true) throw ownedAssignmentCreate();
    if (store.find('PermissionSetAssignment', (a) => a.AssigneeId === user.Id && a.PermissionSetId === ps.Id)) {
      throw badRequest('DUPLICATE_VALUE', 'duplicate value found: <unknown> duplicates value on record with id: <unknown>');
    }
    const licenseMismatch = ps.LicenseId !== null && ps.LicenseId !== licenseOfProfile(store, user.ProfileId).Id;
    const requiredPsl = store.requiredPermissionSetLicense.get(ps.Id as string);
    const missingPsl = requiredPsl && !store.find('PermissionSetLicenseAssign', (a) => a.AssigneeId === user.Id && a.PermissionSetLicenseId === requiredPsl);
    if (licenseMismatch || missingPsl) {
      throw badRequest('FIELD_INTEGRITY_EXCEPTION', `The user license doesn't allow the permission: ${String(ps.Name)}`, ['PermissionSetId']);
    }
    fields.IsActive = user.IsActive === true;
  },
  beforeDelete(store, row) {
    const ps = store.get('PermissionSet', String(row.PermissionSetId));
    if (ps.IsOwnedByProfile === true) throw ownedAssignmentDelete();
  },
};

const permissionSetLicenseAssignRules: ObjectRules = {
  beforeCreate(store, fields) {
    const missing = ['AssigneeId', 'PermissionSetLicenseId'].filter((f) => !fields[f]);
    if (missing.length > 0) throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    if (store.find('PermissionSetLicenseAssign', (a) => a.AssigneeId === fields.AssigneeId && a.PermissionSetLicenseId === fields.PermissionSetLicenseId)) {
      throw badRequest('DUPLICATE_VALUE', 'duplicate value found: <unknown> duplicates value on record with id: <unknown>');
    }
    const psl = store.get('PermissionSetLicense', String(fields.PermissionSetLicenseId));
    if (Number(psl.UsedLicenses) >= Number(psl.TotalLicenses)) throw LICENSE_LIMIT();
  },
  afterCreate: refreshCounters,
  beforeDelete(store, row) {
    const dependents = store
      .rows('PermissionSetAssignment')
      .filter((a) => a.AssigneeId === row.AssigneeId)
      .map((a) => store.get('PermissionSet', String(a.PermissionSetId)))
      .filter((ps) => store.requiredPermissionSetLicense.get(ps.Id as string) === row.PermissionSetLicenseId);
    if (dependents.length > 0) {
      throw licenseInUse(dependents.map((d) => String(d.Name)));
    }
  },
  afterDelete: refreshCounters,
};

const groupRules: ObjectRules = {
  beforeCreate(store, fields) {
    if (!fields.Name) throw badRequest('REQUIRED_FIELD_MISSING', 'Required fields are missing: [Name]', ['Name']);
    fields.Type ??= 'Regular';
    fields.DeveloperName ??= toDeveloperName(String(fields.Name));
    checkDeveloperNameFree(store, fields.DeveloperName);
  },
  beforeUpdate(store, row, changes) {
    if ('DeveloperName' in changes) checkDeveloperNameFree(store, changes.DeveloperName, row.Id);
  },
  afterDelete(store, row) {
    for (const m of store.rows('GroupMember')) if (m.GroupId === row.Id || m.UserOrGroupId === row.Id) store.removeRaw('GroupMember', m.Id as string);
  },
};

function checkDeveloperNameFree(store: SalesforceStore, developerName: unknown, selfId?: unknown): void {
  const lower = String(developerName).toLowerCase();
  if (store.rows('Group').some((g) => g.Id !== selfId && String(g.DeveloperName).toLowerCase() === lower)) {
    throw badRequest('DUPLICATE_DEVELOPER_NAME', 'This Group Name already exists or has been previously used.  Please choose a different name.', ['DeveloperName']);
  }
}

const groupMemberRules: ObjectRules = {
  beforeCreate(store, fields) {
    const missing = ['GroupId', 'UserOrGroupId'].filter((f) => !fields[f]);
    if (missing.length > 0) throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    const existing = store.find('GroupMember', (m) => m.GroupId === fields.GroupId && m.UserOrGroupId === fields.UserOrGroupId);
    if (existing) return existing.Id as string;
  },
};

/** A user assigned to the same territory twice is refused (a unique pair), as for permission-set assignments. */
const userTerritoryRules: ObjectRules = {
  beforeCreate(store, fields) {
    const missing = ['UserId', 'Territory2Id'].filter((f) => !fields[f]);
    if (missing.length > 0) throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    if (store.find('UserTerritory2Association', (a) => a.UserId === fields.UserId && a.Territory2Id === fields.Territory2Id)) {
      throw badRequest('DUPLICATE_VALUE', 'duplicate value found: <unknown> duplicates value on record with id: <unknown>');
    }
    // "Defaulted on create" in the object reference, which gives false as the default value.
    fields.IsActive ??= false;
  },
};

export const OBJECT_RULES: Record<string, ObjectRules> = {
  UserTerritory2Association: userTerritoryRules,
  User: userRules,
  UserLogin: userLoginRules,
  PermissionSetAssignment: permissionSetAssignmentRules,
  PermissionSetLicenseAssign: permissionSetLicenseAssignRules,
  Group: groupRules,
  GroupMember: groupMemberRules,
};
