import type { Connection } from 'jsforce';
import type { AccountState, Entitlement } from '../../domain/account';

/** SOQL string literal: jsforce-style `\'` escaping, plus backslashes so a value cannot end the literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function soqlList(values: string[]): string {
  return `(${values.map(soqlString).join(', ')})`;
}

/** A User row as the connector queries it (parent names nested as the REST API returns them). */
export interface UserRow {
  Id: string;
  Username: string;
  Email: string | null;
  FirstName: string | null;
  LastName: string | null;
  FederationIdentifier: string | null;
  IsActive: boolean;
  LastLoginDate: string | null;
  ProfileId: string | null;
  Profile: { Name: string } | null;
  UserRoleId: string | null;
  UserRole: { Name: string } | null;
  [field: string]: unknown;
}

const USER_FIELDS = ['Id', 'Username', 'Email', 'FirstName', 'LastName', 'FederationIdentifier', 'IsActive', 'LastLoginDate', 'ProfileId', 'Profile.Name', 'UserRoleId', 'UserRole.Name'];

export function userSelect(attributeFields: readonly string[]): string {
  const extra = attributeFields.filter((f) => !USER_FIELDS.some((u) => u.toLowerCase() === f.toLowerCase()));
  return `SELECT ${[...USER_FIELDS, ...extra].join(', ')} FROM User`;
}

/**
 * An org without Enterprise Territory Management has no Territory2 objects (INVALID_TYPE): it simply
 * has no territories, so every other grant kind keeps working there.
 */
export function withoutTerritoryManagement<T>(query: Promise<T[]>): Promise<T[]> {
  return query.catch((err: unknown) => {
    if ((err as { errorCode?: string }).errorCode === 'INVALID_TYPE') return [];
    throw err;
  });
}

/** Follows locators until done: small result sets (matching, one user's grants). */
export async function queryAll<T>(conn: Connection, soql: string): Promise<T[]> {
  const result = await conn.query<Record<string, unknown>>(soql, { autoFetch: true, maxFetch: 100_000 });
  return result.records as unknown as T[];
}

/** One user's removable grants, with the row ids needed to revoke them. */
export interface Grant {
  kind: 'permissionSet' | 'permissionSetLicense' | 'publicGroup' | 'territory';
  /** Assignment / membership row id. */
  rowId: string;
  /** The granted thing's id (permission set, license, group). */
  targetId: string;
  name: string;
  userId: string;
}

const ID_CHUNK = 200;

/** Permission sets (not profile-owned), permission-set licenses and public-group memberships of the given users. */
export async function readGrants(conn: Connection, userIds: string[]): Promise<Grant[]> {
  const grants: Grant[] = [];
  for (let i = 0; i < userIds.length; i += ID_CHUNK) {
    const ids = soqlList(userIds.slice(i, i + ID_CHUNK));
    const [assignments, licenses, memberships, territories] = await Promise.all([
      queryAll<{ Id: string; AssigneeId: string; PermissionSetId: string; PermissionSet: { Name: string } }>(
        conn,
        `SELECT Id, AssigneeId, PermissionSetId, PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId IN ${ids} AND PermissionSet.IsOwnedByProfile = false`,
      ),
      queryAll<{ Id: string; AssigneeId: string; PermissionSetLicenseId: string; PermissionSetLicense: { MasterLabel: string } }>(
        conn,
        `SELECT Id, AssigneeId, PermissionSetLicenseId, PermissionSetLicense.MasterLabel FROM PermissionSetLicenseAssign WHERE AssigneeId IN ${ids}`,
      ),
      queryAll<{ Id: string; GroupId: string; UserOrGroupId: string; Group: { Name: string } }>(
        conn,
        `SELECT Id, GroupId, UserOrGroupId, Group.Name FROM GroupMember WHERE UserOrGroupId IN ${ids} AND Group.Type = 'Regular'`,
      ),
      // Enterprise Territory Management: assignments to territories of the active model only.
      withoutTerritoryManagement(
        queryAll<{ Id: string; UserId: string; Territory2Id: string; Territory2: { DeveloperName: string } }>(
          conn,
          `SELECT Id, UserId, Territory2Id, Territory2.DeveloperName FROM UserTerritory2Association WHERE UserId IN ${ids} AND Territory2.Territory2Model.State = 'Active'`,
        ),
      ),
    ]);
    for (const a of assignments) grants.push({ kind: 'permissionSet', rowId: a.Id, targetId: a.PermissionSetId, name: a.PermissionSet.Name, userId: a.AssigneeId });
    for (const l of licenses) grants.push({ kind: 'permissionSetLicense', rowId: l.Id, targetId: l.PermissionSetLicenseId, name: l.PermissionSetLicense.MasterLabel, userId: l.AssigneeId });
    for (const m of memberships) grants.push({ kind: 'publicGroup', rowId: m.Id, targetId: m.GroupId, name: m.Group.Name, userId: m.UserOrGroupId });
    for (const t of territories) grants.push({ kind: 'territory', rowId: t.Id, targetId: t.Territory2Id, name: t.Territory2.DeveloperName, userId: t.UserId });
  }
  return grants;
}

/** Ids of the given users whose login is frozen. */
export async function readFrozen(conn: Connection, userIds: string[]): Promise<Set<string>> {
  const frozen = new Set<string>();
  for (let i = 0; i < userIds.length; i += ID_CHUNK) {
    const rows = await queryAll<{ UserId: string }>(conn, `SELECT Id, UserId FROM UserLogin WHERE UserId IN ${soqlList(userIds.slice(i, i + ID_CHUNK))} AND IsFrozen = true`);
    for (const r of rows) frozen.add(r.UserId);
  }
  return frozen;
}

/** Salesforce datetimes end in `+0000`; AccountState wants plain ISO. */
export function isoFromSalesforce(value: string | null): string | undefined {
  if (!value) return undefined;
  const date = new Date(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

type AttributeValue = string | number | boolean | null;

/** Builds the generic AccountState; attribute keys are the Salesforce field names policy maps to. */
export function toAccountState(user: UserRow, attributeFields: readonly string[], frozen: boolean, grants: Grant[]): AccountState {
  const attributes: Record<string, AttributeValue> = {};
  for (const field of attributeFields) {
    const key = Object.keys(user).find((k) => k.toLowerCase() === field.toLowerCase());
    const value = key ? user[key] : null;
    attributes[field] = value === undefined || typeof value === 'object' ? null : (value as AttributeValue);
  }
  const entitlements: Entitlement[] = [];
  if (user.Profile?.Name) entitlements.push({ kind: 'profile', name: user.Profile.Name });
  if (user.UserRole?.Name) entitlements.push({ kind: 'role', name: user.UserRole.Name });
  for (const g of grants) if (g.userId === user.Id) entitlements.push({ kind: g.kind, name: g.name });
  return {
    id: user.Id,
    username: user.Username,
    email: user.Email ?? undefined,
    anchor: user.FederationIdentifier ?? undefined,
    givenName: user.FirstName ?? undefined,
    familyName: user.LastName ?? undefined,
    active: user.IsActive && !frozen,
    suspended: frozen,
    attributes,
    entitlements,
    lastActivityAt: isoFromSalesforce(user.LastLoginDate),
  };
}
