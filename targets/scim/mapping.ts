/**
 * Translation between idsync's DesiredAccount/AccountState and SCIM User resources, and the
 * minimal PATCH that turns one into the other. DesiredAccount.attributes keys are SCIM attribute
 * paths: a core attribute ("title"), a sub-attribute ("name.middleName"), or an enterprise
 * extension attribute by its full URN ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").
 */
import type { AccountState, Change, DesiredAccount } from '../../domain/account';
import type { PatchOperation, ScimResource } from './client';
import { SCIM_ENTERPRISE_SCHEMA, SCIM_USER_SCHEMA } from './urns';

export type UserNameAttribute = 'email' | 'username';
type Scalar = string | number | boolean | null;

const ENTERPRISE_PREFIX = `${SCIM_ENTERPRISE_SCHEMA}:`;
/** Attributes the mapping manages itself, so they are not repeated in AccountState.attributes. */
const MANAGED = new Set(['id', 'externalId', 'userName', 'name', 'emails', 'active', 'meta', 'schemas', 'groups', SCIM_ENTERPRISE_SCHEMA]);

export function desiredUserName(desired: Pick<DesiredAccount, 'username' | 'email'>, attribute: UserNameAttribute): string {
  return attribute === 'email' ? desired.email || desired.username : desired.username || desired.email;
}

function readPath(resource: Record<string, unknown>, path: string): unknown {
  if (path.startsWith(ENTERPRISE_PREFIX)) {
    const extension = resource[SCIM_ENTERPRISE_SCHEMA] as Record<string, unknown> | undefined;
    return extension?.[path.slice(ENTERPRISE_PREFIX.length)];
  }
  const [head, sub] = path.split('.', 2);
  const value = resource[head];
  if (sub === undefined) return value;
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[sub] : undefined;
}

function writePath(resource: Record<string, unknown>, path: string, value: Scalar): void {
  if (value === null) return;
  if (path.startsWith(ENTERPRISE_PREFIX)) {
    const extension = (resource[SCIM_ENTERPRISE_SCHEMA] ??= {}) as Record<string, unknown>;
    extension[path.slice(ENTERPRISE_PREFIX.length)] = value;
    return;
  }
  const [head, sub] = path.split('.', 2);
  if (sub === undefined) resource[head] = value;
  else ((resource[head] ??= {}) as Record<string, unknown>)[sub] = value;
}

export function primaryEmail(resource: ScimResource): string | undefined {
  const emails = Array.isArray(resource.emails) ? (resource.emails as Array<{ value?: string; primary?: boolean }>) : [];
  return (emails.find((e) => e.primary) ?? emails[0])?.value;
}

function displayNameOf(desired: DesiredAccount): string | undefined {
  const explicit = desired.attributes.displayName;
  if (typeof explicit === 'string') return explicit;
  const joined = [desired.givenName, desired.familyName].filter(Boolean).join(' ');
  return joined || undefined;
}

/** The full User resource to POST for a new account. */
export function userResourceFor(desired: DesiredAccount, attribute: UserNameAttribute): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    schemas: [SCIM_USER_SCHEMA],
    userName: desiredUserName(desired, attribute),
    externalId: desired.anchor,
    active: desired.active,
  };
  if (desired.givenName || desired.familyName) resource.name = { givenName: desired.givenName, familyName: desired.familyName };
  const displayName = displayNameOf(desired);
  if (displayName) resource.displayName = displayName;
  if (desired.email) resource.emails = [{ value: desired.email, type: 'work', primary: true }];
  for (const [path, value] of Object.entries(desired.attributes)) if (path !== 'displayName') writePath(resource, path, value);
  if (resource[SCIM_ENTERPRISE_SCHEMA]) (resource.schemas as string[]).push(SCIM_ENTERPRISE_SCHEMA);
  return resource;
}

export function accountStateOf(resource: ScimResource, groupNames: string[]): AccountState {
  const attributes: AccountState['attributes'] = {};
  for (const [key, value] of Object.entries(resource)) {
    if (!MANAGED.has(key) && (typeof value !== 'object' || value === null)) attributes[key] = value as Scalar;
  }
  const extension = resource[SCIM_ENTERPRISE_SCHEMA] as Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(extension ?? {})) {
    if (typeof value !== 'object' || value === null) attributes[`${ENTERPRISE_PREFIX}${key}`] = value as Scalar;
  }
  const name = (resource.name ?? {}) as { givenName?: string; familyName?: string };
  return {
    id: resource.id,
    username: String(resource.userName ?? ''),
    email: primaryEmail(resource),
    anchor: typeof resource.externalId === 'string' ? resource.externalId : undefined,
    givenName: name.givenName,
    familyName: name.familyName,
    active: resource.active !== false,
    attributes,
    entitlements: groupNames.map((groupName) => ({ kind: 'group', name: groupName })),
  };
}

export interface UserDiff {
  operations: PatchOperation[];
  changes: Change[];
}

/** The PATCH operations (and audit changes) that make `current` match `desired`; empty when it already does. */
export function diffUser(current: ScimResource, desired: DesiredAccount, attribute: UserNameAttribute, target: string): UserDiff {
  const operations: PatchOperation[] = [];
  const changes: Change[] = [];
  const record = (action: Change['action'], subject: string, before: unknown, after: unknown) =>
    changes.push({ action, target, accountId: current.id, subject, before, after });
  const replace = (path: string, before: unknown, after: unknown, action: Change['action'] = 'update') => {
    operations.push({ op: 'replace', path, value: after });
    record(action, path, before, after);
  };

  const userName = desiredUserName(desired, attribute);
  if (current.userName !== userName) replace('userName', current.userName, userName);
  if (current.externalId !== desired.anchor) replace('externalId', current.externalId, desired.anchor, 'link');
  const name = (current.name ?? {}) as { givenName?: string; familyName?: string };
  if (desired.givenName !== undefined && name.givenName !== desired.givenName) replace('name.givenName', name.givenName, desired.givenName);
  if (desired.familyName !== undefined && name.familyName !== desired.familyName) replace('name.familyName', name.familyName, desired.familyName);
  const displayName = displayNameOf(desired);
  if (displayName !== undefined && current.displayName !== displayName) replace('displayName', current.displayName, displayName);
  const email = primaryEmail(current);
  if (desired.email && email?.toLowerCase() !== desired.email.toLowerCase()) {
    operations.push({ op: 'replace', path: 'emails', value: [{ value: desired.email, type: 'work', primary: true }] });
    record('update', 'emails', email, desired.email);
  }
  for (const [path, value] of Object.entries(desired.attributes)) {
    if (path === 'displayName') continue;
    const before = readPath(current, path);
    if (value === null) {
      if (before !== undefined && before !== null) {
        operations.push({ op: 'remove', path });
        record('update', path, before, null);
      }
    } else if (before !== value) {
      replace(path, before, value);
    }
  }
  const active = current.active !== false;
  if (active !== desired.active) replace('active', active, desired.active, desired.active ? 'activate' : 'deactivate');
  return { operations, changes };
}
