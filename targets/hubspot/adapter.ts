import type { TargetAdapter } from '../adapter';
import type { AccountState, Change, DesiredAccount, EnsureAccountResult, Entitlement, EntitlementMode, MatchKeys } from '../../domain/account';
import { nonRetryable } from '../../lib/errors';
import type { HubspotConfig } from './config';
import type { HubspotUsersApi } from './client';
import { HubspotCatalog, type CatalogSnapshot } from './catalog';
import { asHttpError, classifyHubspotError, type HubspotHttpError } from './errors';
import { hubspotDescription } from './description';
import { catalogKnows, entitlementsOf, planAccess, type AccessUpdate, type UserAccess } from './entitlements';

/** The fields of the SDK's PublicUser idsync reads. */
interface HubspotUser {
  id: string;
  email: string;
  firstName?: string;
  lastName?: string;
  roleId?: string;
  primaryTeamId?: string;
  secondaryTeamIds?: string[];
  superAdmin?: boolean;
}

const PAGE_SIZE = 100;

/**
 * HubSpot users via `/settings/v3/users`. HubSpot stores no external id, so after the linked user id
 * (MatchKeys.accountId) the email is the match key (case-insensitive; one user per email per
 * portal). It cannot disable a user either (no deactivate call; a user without a role may still
 * sign in): suspend assigns the required `suspendRoleName` and clears the teams, remove deletes the
 * user. See config.ts for the effect on the records the user owns.
 *
 * Duplicate decision: a 409 on create means the email already has a user (a create that landed
 * before a dropped connection, or a letter-case variant the email lookup missed). idsync then finds
 * that user by a case-insensitive scan and links to it (change "link"); it never creates a second
 * account. Two case-variant users for one email is AmbiguousMatch; a 409 with no such user is
 * DuplicateAccount.
 */
export class HubspotAdapter implements TargetAdapter {
  readonly kind = 'hubspot';
  readonly entitlementKinds = hubspotDescription.entitlementKinds;
  private readonly catalog: HubspotCatalog;

  constructor(
    readonly name: string,
    private readonly config: HubspotConfig,
    private readonly api: HubspotUsersApi,
  ) {
    this.catalog = new HubspotCatalog(api, (operation, fn) => this.call(operation, '-', fn));
  }

  async findAccount(match: MatchKeys): Promise<AccountState | null> {
    const user = await this.lookup(match);
    return user ? this.toState(user, await this.catalogFor(user)) : null;
  }

  async ensureAccount(desired: DesiredAccount): Promise<EnsureAccountResult> {
    const identity = desired.anchor;
    const unsupported = Object.keys(desired.attributes);
    if (unsupported.length > 0) {
      throw nonRetryable('ValidationError', `HubSpot users have no attribute ${unsupported.join(', ')} (only names and access); remove it from the HubSpot mapping`, { target: this.name, identity, field: unsupported[0] });
    }
    const email = desired.email || desired.username;
    const existing = await this.lookup({ anchor: desired.anchor, email, username: desired.username, ...(desired.accountId ? { accountId: desired.accountId } : {}) });
    if (!existing) return this.create(desired, email);

    const changes: Change[] = [];
    const update: AccessUpdate & { firstName?: string; lastName?: string } = {};
    const names = [['firstName', existing.firstName, desired.givenName], ['lastName', existing.lastName, desired.familyName]] as const;
    for (const [field, current, wanted] of names) {
      if (wanted === undefined || wanted === (current ?? '')) continue;
      update[field] = wanted;
      changes.push(this.change('update', existing.id, field, current, wanted));
    }
    if (!desired.active) this.refuseSuperAdmin(existing, identity, 'deactivate');
    const suspended = await this.isSuspended(existing);
    if (desired.active && suspended) {
      update.roleId = '';
      changes.push(this.change('unsuspend', existing.id, 'role', this.config.suspendRoleName, null));
    } else if (!desired.active && !suspended) {
      Object.assign(update, await this.suspendUpdate(identity));
      changes.push(this.change('deactivate', existing.id, 'access', entitlementsOf(access(existing), await this.catalog.get()), []));
    }
    if (changes.length > 0) await this.call('update user', identity, () => this.api.usersApi.replace(existing.id, update));
    return { accountId: existing.id, created: false, changes };
  }

  async ensureEntitlements(accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]> {
    const user = await this.call('read user', accountId, () => this.api.usersApi.getById(accountId, 'USER_ID'));
    const current = access(user);
    const catalog = await this.catalog.knowing((s) => catalogKnows(s, current, desired));
    const suspendRoleId = await this.suspendRoleId(accountId, catalog);
    const { update, changes } = planAccess(current, desired, mode, catalog, { target: this.name, accountId, identity: user.email, suspendRoleId });
    if (update) await this.call('update user access', user.email, () => this.api.usersApi.replace(accountId, update));
    return changes;
  }

  async suspend(match: MatchKeys): Promise<Change[]> {
    const user = await this.lookup(match);
    if (!user) return [];
    this.refuseSuperAdmin(user, match.anchor, 'suspend');
    const catalog = await this.catalog.get();
    const target = await this.suspendUpdate(match.anchor);
    const current = access(user);
    const alreadySuspended = (current.roleId ?? '') === (target.roleId ?? '') && !current.primaryTeamId && current.secondaryTeamIds.length === 0;
    if (alreadySuspended) return [];
    await this.call('suspend user', match.anchor, () => this.api.usersApi.replace(user.id, target));
    return [this.change('suspend', user.id, 'access', entitlementsOf(current, catalog, this.suspendRoleIdIn(catalog)), [])];
  }

  async remove(match: MatchKeys): Promise<Change[]> {
    const user = await this.lookup(match);
    if (!user) return [];
    this.refuseSuperAdmin(user, match.anchor, 'remove');
    const deleted = await this.attempt('delete user', match.anchor, isStatus(404), () => this.api.usersApi.archive(user.id, 'USER_ID'));
    if (!('value' in deleted)) return []; // deleted between our read and our write: the goal is reached
    return [this.change('remove', user.id, 'account', user.email, null)];
  }

  async *listAccounts(): AsyncIterable<AccountState> {
    let after: string | undefined;
    do {
      const cursor = after;
      const page = await this.call('list users', '-', () => this.api.usersApi.getPage(PAGE_SIZE, cursor));
      const catalog = await this.catalog.knowing((s) => page.results.every((u) => catalogKnows(s, access(u))));
      for (const user of page.results) yield this.toState(user, catalog);
      after = page.paging?.next?.after;
    } while (after);
  }

  async listCatalog(): Promise<Record<string, string[]>> {
    const catalog = await this.catalog.refresh();
    const teams = catalog.teams.map((t) => t.name);
    return { role: catalog.roles.map((r) => r.name), primaryTeam: teams, secondaryTeam: teams };
  }

  /**
   * The linked user (match.accountId) if it still exists, else the user behind the match's
   * email/username (HubSpot keeps no anchor); two distinct users by email is ambiguous.
   */
  private async lookup(match: MatchKeys): Promise<HubspotUser | null> {
    if (match.accountId) {
      const linked = await this.byId(match.accountId, match.anchor);
      if (linked) return linked;
    }
    const emails = [...new Set([match.email, match.username].filter((v): v is string => !!v && v.includes('@')))];
    if (emails.length === 0) {
      // A stale link and no email left (a person deleted from the directory): nothing to act on.
      if (match.accountId) return null;
      throw nonRetryable('ValidationError', 'HubSpot users are matched by email, and none was given', { target: this.name, identity: match.anchor, field: 'email' });
    }
    const found = new Map<string, HubspotUser>();
    for (const email of emails) {
      const user = await this.byEmail(email, match.anchor);
      if (user) found.set(user.id, user);
    }
    if (found.size > 1) {
      throw nonRetryable('AmbiguousMatch', `HubSpot users ${[...found.keys()].join(' and ')} both match ${emails.join(' / ')}`, { target: this.name, identity: match.anchor, field: 'email' });
    }
    return found.values().next().value ?? null;
  }

  /** idProperty=USER_ID lookup; HubSpot user ids are numeric, so anything else cannot exist. */
  private async byId(id: string, identity: string): Promise<HubspotUser | null> {
    if (!/^\d+$/.test(id)) return null;
    const found = await this.attempt('read linked user', identity, isStatus(404), () => this.api.usersApi.getById(id, 'USER_ID'));
    return 'value' in found ? found.value : null;
  }

  /** idProperty=EMAIL lookup; if HubSpot matched case-sensitively, the lower-case form is tried too. */
  private async byEmail(email: string, identity: string): Promise<HubspotUser | null> {
    for (const candidate of [...new Set([email, email.toLowerCase()])]) {
      const found = await this.attempt('read user by email', identity, isStatus(404), () => this.api.usersApi.getById(candidate, 'EMAIL'));
      if ('value' in found && found.value.email.toLowerCase() === email.toLowerCase()) return found.value;
    }
    return null;
  }

  private async create(desired: DesiredAccount, email: string): Promise<EnsureAccountResult> {
    const body = {
      email,
      firstName: desired.givenName,
      lastName: desired.familyName,
      sendWelcomeEmail: this.config.sendWelcomeEmail,
      ...(desired.active ? {} : { roleId: (await this.suspendUpdate(desired.anchor)).roleId }),
    };
    const created = await this.attempt('create user', desired.anchor, isDuplicateEmail, () => this.api.usersApi.create(body));
    if ('value' in created) return { accountId: created.value.id, created: true, changes: [this.change('create', created.value.id, 'account', null, email)] };
    const user = await this.resolveConflict(email, desired.anchor);
    return { accountId: user.id, created: false, changes: [this.change('link', user.id, 'email', null, user.email)] };
  }

  /** After a 409: the one user whose email equals ours ignoring case, found by scanning every page. */
  private async resolveConflict(email: string, identity: string): Promise<HubspotUser> {
    const matches: HubspotUser[] = [];
    let after: string | undefined;
    do {
      const cursor = after;
      const page = await this.call('list users', identity, () => this.api.usersApi.getPage(PAGE_SIZE, cursor));
      matches.push(...page.results.filter((u) => u.email.toLowerCase() === email.toLowerCase()));
      after = page.paging?.next?.after;
    } while (after);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw nonRetryable('AmbiguousMatch', `HubSpot has ${matches.length} users whose email differs from ${email} only in letter case (${matches.map((m) => m.id).join(', ')})`, { target: this.name, identity, field: 'email' });
    }
    throw nonRetryable('DuplicateAccount', `HubSpot refused to create ${email} as a duplicate, but no user with that email is visible`, { target: this.name, identity, field: 'email' });
  }

  /** The write that cuts access: the suspend role and no teams. */
  private async suspendUpdate(identity: string): Promise<AccessUpdate> {
    const catalog = await this.catalog.get();
    return { roleId: await this.suspendRoleId(identity, catalog), primaryTeamId: '', secondaryTeamIds: [] };
  }

  /** The suspend role's id; a ConfigError when the portal has no role of that name. */
  private async suspendRoleId(identity: string, catalog: CatalogSnapshot): Promise<string> {
    const roleName = this.config.suspendRoleName;
    const id = this.suspendRoleIdIn(catalog) ?? this.suspendRoleIdIn(await this.catalog.refresh());
    if (!id) throw nonRetryable('ConfigError', `suspendRoleName "${roleName}" is not a role in this HubSpot portal`, { target: this.name, identity, field: 'suspendRoleName' });
    return id;
  }

  private suspendRoleIdIn(catalog: CatalogSnapshot): string | undefined {
    return catalog.roleId(this.config.suspendRoleName);
  }

  private async isSuspended(user: HubspotUser): Promise<boolean> {
    const current = access(user);
    if (current.primaryTeamId || current.secondaryTeamIds.length > 0) return false;
    return !!current.roleId && current.roleId === this.suspendRoleIdIn(await this.catalog.get());
  }

  private async catalogFor(user: HubspotUser): Promise<CatalogSnapshot> {
    return this.catalog.knowing((s) => catalogKnows(s, access(user)));
  }

  private toState(user: HubspotUser, catalog: CatalogSnapshot): AccountState {
    const current = access(user);
    const suspendRoleId = this.suspendRoleIdIn(catalog);
    const suspended = !user.superAdmin && !current.primaryTeamId && current.secondaryTeamIds.length === 0 && !!suspendRoleId && current.roleId === suspendRoleId;
    return {
      id: user.id,
      username: user.email,
      email: user.email,
      givenName: user.firstName,
      familyName: user.lastName,
      active: !suspended,
      suspended,
      attributes: {},
      entitlements: entitlementsOf(current, catalog, suspendRoleId),
    };
  }

  private refuseSuperAdmin(user: HubspotUser, identity: string, action: string): void {
    if (user.superAdmin) {
      throw nonRetryable('ValidationError', `HubSpot user ${user.id} is a super admin; idsync does not ${action} super admins (demote them in HubSpot first)`, { target: this.name, identity, field: 'superAdmin' });
    }
  }

  private change(action: Change['action'], accountId: string, subject: string, before: unknown, after: unknown): Change {
    return { action, target: this.name, accountId, subject, before, after };
  }

  /** Like `call`, but answers `expected` accepts come back as values (404 on lookup, duplicate on create). */
  private async attempt<T>(operation: string, identity: string, expected: (err: HubspotHttpError) => boolean, fn: () => Promise<T>): Promise<{ value: T } | { status: number }> {
    try {
      return { value: await fn() };
    } catch (err) {
      const http = asHttpError(err);
      if (http && expected(http)) return { status: http.code };
      throw classifyHubspotError(err, { target: this.name, identity, operation, tokenEnv: this.config.accessTokenEnv });
    }
  }

  private async call<T>(operation: string, identity: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyHubspotError(err, { target: this.name, identity, operation, tokenEnv: this.config.accessTokenEnv });
    }
  }
}

function access(user: Pick<HubspotUser, 'roleId' | 'primaryTeamId' | 'secondaryTeamIds'>): UserAccess {
  return { roleId: user.roleId || undefined, primaryTeamId: user.primaryTeamId || undefined, secondaryTeamIds: user.secondaryTeamIds ?? [] };
}

const isStatus = (status: number) => (err: HubspotHttpError) => err.code === status;

/** HubSpot documents no duplicate answer: 409 is what we expect, a 400 saying "already exists" is treated alike. */
function isDuplicateEmail(err: HubspotHttpError): boolean {
  return err.code === 409 || (err.code === 400 && typeof err.body?.message === 'string' && /already exists/i.test(err.body.message));
}
