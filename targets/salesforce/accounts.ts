import { nonRetryable } from '../../lib/errors';
import type { AccountState, Change, DesiredAccount, EnsureAccountResult, MatchKeys } from '../../domain/account';
import { step, savedId, type SalesforceContext } from './context';
import { queryAll, readFrozen, readGrants, soqlString, toAccountState, userSelect, type UserRow } from './read';
import { revokeGrants } from './entitlements';
import { anchoredToSomeoneElse, linkConflict } from '../links';

/**
 * Account lifecycle against the User object: match (linked id, anchor, then username/email), create, link,
 * update, reactivate, suspend (freeze or deactivate), remove. Each function reads first and writes
 * only the difference, so running it again after a crash changes nothing twice.
 */
interface Located {
  user: UserRow;
  matchedBy: 'accountId' | 'anchor' | 'username' | 'email';
  frozen: boolean;
}

const SAFE_FIELD = /^[A-Za-z][A-Za-z0-9_]*$/;
/** 15- or 18-character record id; anything else cannot be a User in any org (and SOQL would reject it). */
const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

function attributeKeys(ctx: SalesforceContext, desired?: DesiredAccount): string[] {
  const keys = new Set(ctx.config.attributeFields);
  for (const key of Object.keys(desired?.attributes ?? {})) {
    if (!SAFE_FIELD.test(key)) throw nonRetryable('ValidationError', `attribute "${key}" is not a Salesforce field name`, { target: ctx.target, identity: desired?.anchor, field: key });
    keys.add(key);
  }
  return [...keys];
}

/** The 15-character form identifies a record as well as the 18-character one. */
function sameId(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}

/**
 * One query for the linked id, anchor, username and email together: matching costs a single API
 * call. The linked user, when it still exists, wins (unless it carries another person's anchor).
 */
async function locate(ctx: SalesforceContext, match: MatchKeys, fields: string[]): Promise<Located | null> {
  const failure = { target: ctx.target, identity: match.anchor };
  const linkedId = match.accountId && SALESFORCE_ID.test(match.accountId) ? match.accountId : undefined;
  const conditions = [
    linkedId && `Id = ${soqlString(linkedId)}`,
    match.anchor && `FederationIdentifier = ${soqlString(match.anchor)}`,
    match.username && `Username = ${soqlString(match.username)}`,
    match.email && `Email = ${soqlString(match.email)}`,
  ].filter(Boolean);
  if (conditions.length === 0) return null;
  const rows = await step(ctx, 'find user', match.anchor, (c) => queryAll<UserRow>(c, `${userSelect(fields)} WHERE ${conditions.join(' OR ')}`), 'FederationIdentifier');
  const same = (a: string | null | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();
  const linked = linkedId ? rows.find((u) => sameId(u.Id, linkedId)) : undefined;
  if (linked && anchoredToSomeoneElse(match, linked.FederationIdentifier)) throw linkConflict(ctx.target, match, linked.Id, 'FederationIdentifier');
  const byAnchor = rows.filter((u) => same(u.FederationIdentifier, match.anchor));
  if (!linked && byAnchor.length > 1) {
    throw nonRetryable('AmbiguousMatch', `Salesforce users ${byAnchor.map((u) => u.Id).join(' and ')} both carry this anchor`, { ...failure, field: 'FederationIdentifier' });
  }
  let user: UserRow | undefined = linked ?? byAnchor[0];
  let matchedBy: Located['matchedBy'] = linked ? 'accountId' : 'anchor';
  if (!user) {
    // A user anchored to another person is that person's account, never a match for this one.
    const candidates = rows.filter((u) => !u.FederationIdentifier);
    if (candidates.length > 1) {
      throw nonRetryable('AmbiguousMatch', `Salesforce users ${candidates.map((u) => `${u.Id} (${u.Username})`).join(' and ')} both match this person's username/email`, { ...failure, field: 'Username,Email' });
    }
    user = candidates[0];
    if (!user) return null;
    matchedBy = same(user.Username, match.username) ? 'username' : 'email';
  }
  const frozen = await step(ctx, 'read freeze state', match.anchor, (c) => readFrozen(c, [user!.Id]));
  return { user, matchedBy, frozen: frozen.has(user.Id) };
}

export async function findAccount(ctx: SalesforceContext, match: MatchKeys): Promise<AccountState | null> {
  const found = await locate(ctx, match, attributeKeys(ctx));
  if (!found) return null;
  const grants = await step(ctx, 'read grants', match.anchor, (c) => readGrants(c, [found.user.Id]));
  return toAccountState(found.user, ctx.config.attributeFields, found.frozen, grants);
}

/** Alias (max 8): first initial + family name, lower-case ASCII, as Salesforce's UI suggests it. */
export function deriveAlias(desired: DesiredAccount): string {
  const ascii = (s: string | undefined) => (s ?? '').normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  const alias = `${ascii(desired.givenName).slice(0, 1)}${ascii(desired.familyName)}` || ascii(desired.username.split('@')[0]);
  return alias.slice(0, 8) || 'user';
}

function sameValue(current: unknown, wanted: unknown, caseInsensitive = false): boolean {
  const norm = (v: unknown) => (v === undefined || v === '' ? null : v);
  const a = norm(current);
  const b = norm(wanted);
  if (caseInsensitive && typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b || (a !== null && b !== null && String(a) === String(b));
}

async function createUser(ctx: SalesforceContext, desired: DesiredAccount): Promise<EnsureAccountResult> {
  const identity = desired.anchor;
  const profileName = desired.entitlements.find((e) => e.kind === 'profile')?.name ?? ctx.config.defaults.profile;
  if (!profileName) throw nonRetryable('ValidationError', 'cannot create a Salesforce user without a profile: policy grants none and no defaults.profile is configured', { target: ctx.target, identity, field: 'ProfileId' });
  const profile = await step(ctx, 'resolve profile', identity, () => ctx.catalog.resolve('profile', profileName));
  if (!profile) throw nonRetryable('UnknownEntitlement', `Salesforce has no profile named "${profileName}"`, { target: ctx.target, identity, field: `profile:${profileName}` });
  const roleName = desired.entitlements.find((e) => e.kind === 'role')?.name;
  const role = roleName ? await step(ctx, 'resolve role', identity, () => ctx.catalog.resolve('role', roleName)) : undefined;
  if (roleName && !role) throw nonRetryable('UnknownEntitlement', `Salesforce has no role named "${roleName}"`, { target: ctx.target, identity, field: `role:${roleName}` });
  const { profile: _profile, ...requiredDefaults } = ctx.config.defaults;
  const record = {
    ...requiredDefaults,
    Alias: deriveAlias(desired),
    ...desired.attributes,
    Username: desired.username,
    Email: desired.email,
    FirstName: desired.givenName ?? null,
    LastName: desired.familyName ?? desired.username.split('@')[0],
    FederationIdentifier: desired.anchor,
    ProfileId: profile.id,
    ...(role ? { UserRoleId: role.id } : {}),
    IsActive: desired.active,
  };
  const id = await step(ctx, 'create user', identity, async (c) => savedId(await c.sobject('User').create(record)));
  const changes: Change[] = [{ action: 'create', target: ctx.target, accountId: id, subject: 'User', after: { Username: desired.username, profile: profile.name, active: desired.active } }];
  return { accountId: id, created: true, changes };
}

export async function ensureAccount(ctx: SalesforceContext, desired: DesiredAccount): Promise<EnsureAccountResult> {
  const identity = desired.anchor;
  const match = { anchor: desired.anchor, username: desired.username, email: desired.email, ...(desired.accountId ? { accountId: desired.accountId } : {}) };
  const found = await locate(ctx, match, attributeKeys(ctx, desired));
  if (!found) return createUser(ctx, desired);
  const { user } = found;
  const changes: Change[] = [];
  const patch: Record<string, unknown> = {};
  const change = (action: Change['action'], subject: string, before: unknown, after: unknown) => changes.push({ action, target: ctx.target, accountId: user.Id, subject, before, after });
  if (found.matchedBy !== 'anchor' && String(user.FederationIdentifier ?? '').toLowerCase() !== desired.anchor.toLowerCase()) {
    patch.FederationIdentifier = desired.anchor;
    change('link', 'FederationIdentifier', user.FederationIdentifier, desired.anchor);
  }
  const wanted: Array<[string, unknown, boolean]> = [
    ['Username', desired.username, true],
    ['Email', desired.email, true],
    ...(desired.givenName !== undefined ? [['FirstName', desired.givenName, false] as [string, unknown, boolean]] : []),
    ...(desired.familyName !== undefined ? [['LastName', desired.familyName, false] as [string, unknown, boolean]] : []),
    ...Object.entries(desired.attributes).map(([k, v]) => [k, v, false] as [string, unknown, boolean]),
  ];
  for (const [field, value, caseInsensitive] of wanted) {
    const key = Object.keys(user).find((k) => k.toLowerCase() === field.toLowerCase()) ?? field;
    if (!sameValue(user[key], value, caseInsensitive)) {
      patch[field] = value;
      change('update', field, user[key] ?? null, value);
    }
  }
  if (desired.active !== user.IsActive) {
    patch.IsActive = desired.active;
    change(desired.active ? 'activate' : 'deactivate', 'IsActive', user.IsActive, desired.active);
  }
  if (Object.keys(patch).length > 0) {
    await step(ctx, 'update user', identity, (c) => c.sobject('User').update({ Id: user.Id, ...patch }));
  }
  if (desired.active && found.frozen) {
    await setFrozen(ctx, user.Id, false, identity);
    change('unsuspend', 'UserLogin.IsFrozen', true, false);
  }
  return { accountId: user.Id, created: false, changes };
}

async function setFrozen(ctx: SalesforceContext, userId: string, frozen: boolean, identity: string): Promise<void> {
  await step(ctx, frozen ? 'freeze user' : 'unfreeze user', identity, async (c) => {
    const [login] = await queryAll<{ Id: string }>(c, `SELECT Id FROM UserLogin WHERE UserId = ${soqlString(userId)}`);
    if (!login) throw nonRetryable('NotFound', `Salesforce user ${userId} has no UserLogin row to ${frozen ? 'freeze' : 'unfreeze'}`, { target: ctx.target, identity, field: 'UserLogin.IsFrozen' });
    await c.sobject('UserLogin').update({ Id: login.Id, IsFrozen: frozen });
  }, 'UserLogin.IsFrozen');
}

async function deactivate(ctx: SalesforceContext, user: UserRow, identity: string): Promise<Change[]> {
  if (!user.IsActive) return [];
  await step(ctx, 'deactivate user', identity, (c) => c.sobject('User').update({ Id: user.Id, IsActive: false }), 'IsActive');
  return [{ action: 'deactivate', target: ctx.target, accountId: user.Id, subject: 'IsActive', before: true, after: false }];
}

export async function suspend(ctx: SalesforceContext, match: MatchKeys): Promise<Change[]> {
  const found = await locate(ctx, match, ctx.config.attributeFields);
  if (!found) return [];
  if (ctx.config.suspendMode === 'deactivate') return deactivate(ctx, found.user, match.anchor);
  // An inactive user cannot log in anyway; freezing it would only be a write with no effect.
  if (found.frozen || !found.user.IsActive) return [];
  await setFrozen(ctx, found.user.Id, true, match.anchor);
  return [{ action: 'suspend', target: ctx.target, accountId: found.user.Id, subject: 'UserLogin.IsFrozen', before: false, after: true }];
}

export async function remove(ctx: SalesforceContext, match: MatchKeys): Promise<Change[]> {
  const found = await locate(ctx, match, ctx.config.attributeFields);
  if (!found) return [];
  const changes = await deactivate(ctx, found.user, match.anchor);
  const grants = await step(ctx, 'read grants', match.anchor, (c) => readGrants(c, [found.user.Id]));
  changes.push(...(await revokeGrants(ctx, found.user.Id, grants, match.anchor)));
  return changes;
}

/** Every standard user, page by page (locator paging), with freeze state and grants per page. */
/** The largest batch Salesforce returns for one query or queryMore call. */
const MAX_QUERY_BATCH = 2000;

export async function* listAccounts(ctx: SalesforceContext): AsyncIterable<AccountState> {
  const fields = ctx.config.attributeFields;
  const soql = `${userSelect(fields)} WHERE UserType = 'Standard' ORDER BY Id`;
  const headers = { 'Sforce-Query-Options': `batchSize=${ctx.config.pageSize}` };
  type Page = { done: boolean; nextRecordsUrl?: string; records: UserRow[] };
  let page: Page = await step(ctx, 'list users', undefined, async (c) => (await c.query<UserRow>(soql, { autoFetch: false, maxFetch: MAX_QUERY_BATCH, headers })) as Page);
  for (;;) {
    const users = page.records;
    const ids = users.map((u) => u.Id);
    const [frozen, grants] = await step(ctx, 'read users’ grants', undefined, (c) => Promise.all([readFrozen(c, ids), readGrants(c, ids)]));
    for (const user of users) yield toAccountState(user, fields, frozen.has(user.Id), grants);
    if (page.done || !page.nextRecordsUrl) return;
    const next = page.nextRecordsUrl;
    // Salesforce treats batchSize as a hint (at least 200, at most 2000, sometimes other sizes): take
    // the whole batch it sends. Capping it at pageSize dropped the rest of every larger batch.
    page = await step(ctx, 'list users (next page)', undefined, async (c) => (await c.queryMore<UserRow>(next, { headers, autoFetch: false, maxFetch: MAX_QUERY_BATCH, scanAll: false, responseTarget: 'QueryResult' })) as Page);
  }
}
