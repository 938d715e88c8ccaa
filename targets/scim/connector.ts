/**
 * TargetAdapter for any SCIM 2.0 service provider. Every method is an idempotent ensure: locate the
 * account (the linked id, then externalId = our anchor, then userName case-insensitively), compare, and send only
 * the difference, so a retry after a crash at any point converges without a second account.
 */
import type { FailureContext } from '../../lib/errors';
import { nonRetryable } from '../../lib/errors';
import type { TargetKindDescription } from '../../domain/target-kind';
import { GROUP_KIND } from './description';
import type { TargetAdapter } from '../adapter';
import type { AccountState, Change, DesiredAccount, EnsureAccountResult, Entitlement, EntitlementMode, MatchKeys } from '../../domain/account';
import { anchoredToSomeoneElse, linkConflict } from '../links';
import { ScimClient, scimString, type PatchOperation, type ScimResource } from './client';
import { classifyScimError, isScimStatus } from './errors';
import { accountStateOf, desiredUserName, diffUser, userResourceFor, type UserNameAttribute } from './mapping';
import type { DirectoryGroupRef, DirectoryGroupSync, GroupRemovalResult, GroupSyncResult } from '../group-sync';
import { DEFAULT_SCIM_GROUP_SYNC, isDirectoryGroup, ScimDirectoryGroups, type ScimGroupSyncSettings } from './directory-groups';

/** Concurrent writers (another workflow, an admin) can bump a version between our read and write. */
const VERSION_CONFLICT_ATTEMPTS = 3;

export interface ScimConnectorSettings {
  deleteMode: 'delete' | 'deactivate';
  userNameAttribute: UserNameAttribute;
  /** Directory groups as SCIM Groups (directory-groups.ts); off when absent. */
  groupSync?: ScimGroupSyncSettings;
}

interface Located {
  account: ScimResource | null;
  /** An account holding the person's userName but linked to a different anchor. */
  foreign?: ScimResource;
}

export class ScimConnector implements TargetAdapter, DirectoryGroupSync {
  readonly kind: string;
  readonly entitlementKinds: readonly string[];
  /** Whether this SP answered a member filter on Groups; undefined until first asked. */
  private memberFilter: 'supported' | 'unsupported' | undefined;

  constructor(
    readonly name: string,
    description: TargetKindDescription,
    protected readonly client: ScimClient,
    protected readonly settings: ScimConnectorSettings,
  ) {
    this.kind = description.kind;
    this.entitlementKinds = description.entitlementKinds;
  }

  /** Runs `work`, turning any SCIM/network failure into a classified ApplicationFailure. */
  protected async guard<T>(ctx: FailureContext, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw classifyScimError(err, ctx);
    }
  }

  /**
   * Hook for targets that know more about accounts than SCIM exposes (e.g. last activity): returns
   * a function adding those facts. `one` is the single account about to be returned by findAccount;
   * absent, the whole account list is about to be enriched (so fetch in bulk).
   */
  protected async enricher(_one?: AccountState): Promise<(account: AccountState) => AccountState> {
    return (account) => account;
  }

  private loginName(match: MatchKeys): string | undefined {
    return desiredUserName({ username: match.username ?? '', email: match.email ?? '' }, this.settings.userNameAttribute) || undefined;
  }

  private ambiguous(ctx: FailureContext, what: string, found: ScimResource[]): never {
    throw nonRetryable('AmbiguousMatch', `${found.length} accounts match ${what}: ${found.map((r) => r.id).join(' and ')}`, ctx);
  }

  private async locate(match: MatchKeys, ctx: FailureContext): Promise<Located> {
    if (match.accountId) {
      // The account idsync linked to this person: while it exists it is theirs, whatever its userName now.
      const linked = await this.client.get('/Users', match.accountId);
      if (linked) {
        if (anchoredToSomeoneElse(match, typeof linked.externalId === 'string' ? linked.externalId : undefined)) throw linkConflict(this.name, match, linked.id, 'externalId');
        return { account: linked };
      }
    }
    if (match.anchor) {
      const byAnchor = await this.client.findEqual('/Users', 'externalId', match.anchor);
      if (byAnchor.length > 1) this.ambiguous({ ...ctx, field: 'externalId' }, `externalId ${match.anchor}`, byAnchor);
      if (byAnchor.length === 1) return { account: byAnchor[0] };
    }
    const login = this.loginName(match);
    if (!login) return { account: null };
    const byName = await this.client.findEqual('/Users', 'userName', login);
    if (byName.length > 1) this.ambiguous({ ...ctx, field: 'userName' }, `userName ${login}`, byName);
    const candidate = byName[0];
    if (!candidate) return { account: null };
    if (typeof candidate.externalId === 'string' && candidate.externalId !== '' && candidate.externalId !== match.anchor) {
      return { account: null, foreign: candidate };
    }
    return { account: candidate };
  }

  private async groupsWithMembers(): Promise<ScimResource[]> {
    return this.client.listAll('/Groups', { attributes: 'displayName,members,externalId' });
  }

  private static memberIds(group: ScimResource): string[] {
    return Array.isArray(group.members) ? (group.members as Array<{ value?: string }>).map((m) => String(m.value)) : [];
  }

  /**
   * The groups an account is a direct member of (id, displayName, externalId), without reading
   * anyone else's membership: listing every group with its members made each call cost as much as
   * the whole tenant (seconds per call at 10,000 people). In order of preference: the user's own
   * `groups` attribute when the resource at hand carries one with names (RFC 7643 4.1.2; no
   * request), a filter on the member (`members[value eq id]`, RFC 7644 3.4.2.2), and only for an
   * SP that refuses that filter the full listing, as before.
   */
  private async membershipsOf(accountId: string, resource?: ScimResource): Promise<ScimResource[]> {
    const own = resource ? ScimConnector.ownGroups(resource) : null;
    if (own) return own;
    if (this.memberFilter !== 'unsupported') {
      try {
        const found = await this.client.listAll('/Groups', { filter: `members[value eq ${scimString(accountId)}]`, attributes: 'displayName,externalId' });
        this.memberFilter = 'supported';
        return found;
      } catch (err) {
        // 400 invalidFilter (or 501/403): this SP cannot filter groups by member; remember it, not per call.
        if (this.memberFilter === 'supported' || !(isScimStatus(err, 400) || isScimStatus(err, 501) || isScimStatus(err, 403))) throw err;
        this.memberFilter = 'unsupported';
      }
    }
    return (await this.groupsWithMembers()).filter((g) => ScimConnector.memberIds(g).includes(accountId));
  }

  /** A user's direct groups from its read-only `groups` attribute, when that names every group; else null. */
  private static ownGroups(resource: ScimResource): ScimResource[] | null {
    if (!Array.isArray(resource.groups)) return null;
    const refs = resource.groups as Array<{ value?: unknown; display?: unknown; type?: unknown }>;
    if (!refs.every((g) => typeof g.value === 'string' && typeof g.display === 'string')) return null;
    // Indirect (nested) memberships cannot be granted or revoked on the user: only direct ones are ours.
    return refs.filter((g) => g.type !== 'indirect').map((g) => ({ id: g.value as string, displayName: g.display }));
  }

  async findAccount(match: MatchKeys): Promise<AccountState | null> {
    const ctx = { target: this.name, identity: match.anchor };
    return this.guard(ctx, async () => {
      const { account } = await this.locate(match, ctx);
      if (!account) return null;
      const groups = await this.membershipsOf(account.id, account);
      const state = accountStateOf(account, groups.map((g) => String(g.displayName)));
      return (await this.enricher(state))(state);
    });
  }

  /** PATCH a user with its current version; on 412 re-read and recompute, a bounded number of times. */
  private async patchUserConverging(current: ScimResource, plan: (resource: ScimResource) => PatchOperation[]): Promise<void> {
    let resource = current;
    for (let attempt = 1; ; attempt += 1) {
      const operations = plan(resource);
      if (operations.length === 0) return;
      try {
        await this.client.patch('/Users', resource, operations);
        return;
      } catch (err) {
        if (!isScimStatus(err, 412) || attempt >= VERSION_CONFLICT_ATTEMPTS) throw err;
        const fresh = await this.client.get('/Users', resource.id);
        if (!fresh) throw err;
        resource = fresh;
      }
    }
  }

  async ensureAccount(desired: DesiredAccount): Promise<EnsureAccountResult> {
    const ctx = { target: this.name, identity: desired.anchor };
    const userName = desiredUserName(desired, this.settings.userNameAttribute);
    const match = { anchor: desired.anchor, username: desired.username, email: desired.email, ...(desired.accountId ? { accountId: desired.accountId } : {}) };
    return this.guard(ctx, async () => {
      let located = await this.locate(match, ctx);
      if (located.foreign) throw this.duplicate(ctx, userName, located.foreign);
      if (!located.account) {
        try {
          const created = await this.client.create('/Users', userResourceFor(desired, this.settings.userNameAttribute));
          const change: Change = { action: 'create', target: this.name, accountId: created.id, subject: 'account', after: userName };
          return { accountId: created.id, created: true, changes: [change] };
        } catch (err) {
          if (!isScimStatus(err, 409)) throw err;
          // Someone (or our own earlier attempt) holds the userName: link it if it is this person.
          located = await this.locate(match, ctx);
          if (!located.account) throw this.duplicate(ctx, userName, located.foreign, err.detail);
        }
      }
      const changes: Change[] = [];
      await this.patchUserConverging(located.account, (resource) => {
        const diff = diffUser(resource, desired, this.settings.userNameAttribute, this.name);
        changes.splice(0, changes.length, ...diff.changes);
        return diff.operations;
      });
      return { accountId: located.account.id, created: false, changes };
    });
  }

  private duplicate(ctx: FailureContext, userName: string, holder?: ScimResource, detail?: string) {
    const who = holder ? `account ${holder.id} (externalId ${String(holder.externalId)})` : `an account we cannot read${detail ? ` (${detail})` : ''}`;
    const anchor = typeof holder?.externalId === 'string' && holder.externalId ? { holder: holder.externalId } : {};
    return nonRetryable('DuplicateAccount', `userName ${userName} already belongs to ${who}, not to this identity`, { ...ctx, field: 'userName', ...anchor });
  }

  async ensureEntitlements(accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]> {
    const ctx = { target: this.name, identity: accountId };
    return this.guard(ctx, async () => {
      const unsupported = desired.find((e) => !this.entitlementKinds.includes(e.kind));
      if (unsupported) {
        throw nonRetryable('UnknownEntitlement', `entitlement kind "${unsupported.kind}" (${unsupported.name}) is not supported`, { ...ctx, field: 'kind' });
      }
      // The catalog without members (its size does not grow with the people in it) and this account's groups.
      const groups = desired.length > 0 || mode === 'overwrite' ? await this.client.listAll('/Groups', { attributes: 'displayName,externalId' }) : [];
      const byName = new Map(groups.map((g) => [String(g.displayName).toLowerCase(), g]));
      const wanted = new Map<string, { group: ScimResource; grant: Entitlement }>();
      for (const grant of desired) {
        const group = byName.get(grant.name.toLowerCase());
        if (!group) throw nonRetryable('UnknownEntitlement', `group "${grant.name}" does not exist`, { ...ctx, field: 'group' });
        wanted.set(group.id, { group, grant });
      }
      const held = groups.length > 0 ? new Set((await this.membershipsOf(accountId)).map((g) => g.id)) : new Set<string>();
      const changes: Change[] = [];
      for (const { group, grant } of wanted.values()) {
        if (held.has(group.id)) continue;
        await this.client.patch('/Groups', group, [{ op: 'add', path: 'members', value: [{ value: accountId }] }], false);
        changes.push({ action: 'grant', target: this.name, accountId, subject: `group:${String(group.displayName)}`, rule: grant.rule });
      }
      if (mode === 'overwrite') {
        // Members of groups provisioned from the directory follow the directory group, not a person's policy.
        const directoryGroups = this.syncsDirectoryGroups;
        for (const group of groups) {
          if (wanted.has(group.id) || !held.has(group.id) || (directoryGroups && isDirectoryGroup(group))) continue;
          await this.client.patch('/Groups', group, [{ op: 'remove', path: `members[value eq ${scimString(accountId)}]` }], false);
          changes.push({ action: 'revoke', target: this.name, accountId, subject: `group:${String(group.displayName)}` });
        }
      }
      return changes;
    });
  }

  private async deactivate(account: ScimResource, action: Change['action']): Promise<Change[]> {
    if (account.active === false) return [];
    await this.patchUserConverging(account, (r) => (r.active === false ? [] : [{ op: 'replace', path: 'active', value: false }]));
    return [{ action, target: this.name, accountId: account.id, subject: 'active', before: true, after: false }];
  }

  async suspend(match: MatchKeys): Promise<Change[]> {
    const ctx = { target: this.name, identity: match.anchor };
    return this.guard(ctx, async () => {
      const { account } = await this.locate(match, ctx);
      return account ? this.deactivate(account, 'suspend') : [];
    });
  }

  async remove(match: MatchKeys): Promise<Change[]> {
    const ctx = { target: this.name, identity: match.anchor };
    return this.guard(ctx, async () => {
      const { account } = await this.locate(match, ctx);
      if (!account) return [];
      if (this.settings.deleteMode === 'deactivate') return this.deactivate(account, 'deactivate');
      await this.client.delete('/Users', account);
      return [{ action: 'remove', target: this.name, accountId: account.id, subject: 'account', before: account.userName }];
    });
  }

  async *listAccounts(): AsyncIterable<AccountState> {
    const ctx = { target: this.name };
    // Account id -> its group names, built once: scanning every group's members for every account
    // cost (accounts x members) and held every group's member list for the whole stream.
    const groupNamesById = new Map<string, string[]>();
    for (const group of await this.guard(ctx, () => this.groupsWithMembers())) {
      const name = String(group.displayName);
      for (const id of new Set(ScimConnector.memberIds(group))) {
        const names = groupNamesById.get(id);
        if (names) names.push(name);
        else groupNamesById.set(id, [name]);
      }
    }
    const enrich = await this.guard(ctx, () => this.enricher());
    const iterator = this.client.list('/Users')[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.guard(ctx, () => iterator.next());
      if (next.done) return;
      yield enrich(accountStateOf(next.value, groupNamesById.get(next.value.id) ?? []));
    }
  }

  get syncsDirectoryGroups(): boolean {
    return this.settings.groupSync?.directoryGroups ?? false;
  }

  private directoryGroups(): ScimDirectoryGroups {
    return new ScimDirectoryGroups(this.name, this.client, this.settings.groupSync ?? DEFAULT_SCIM_GROUP_SYNC);
  }

  async ensureDirectoryGroup(group: DirectoryGroupRef, memberAnchors: string[]): Promise<GroupSyncResult> {
    return this.guard({ target: this.name, identity: `group ${group.anchor}` }, () => this.directoryGroups().ensure(group, memberAnchors));
  }

  async removeDirectoryGroup(group: DirectoryGroupRef): Promise<GroupRemovalResult> {
    return this.guard({ target: this.name, identity: `group ${group.anchor}` }, () => this.directoryGroups().remove(group));
  }

  async listCatalog(): Promise<Record<string, string[]>> {
    return this.guard({ target: this.name }, async () => {
      const groups = await this.client.listAll('/Groups', { attributes: 'displayName' });
      return { [GROUP_KIND]: groups.map((g) => String(g.displayName)).sort() };
    });
  }
}
