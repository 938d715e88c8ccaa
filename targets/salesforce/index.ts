import type { TargetAdapter, TargetDefinition } from '../adapter';
import type { AccountState, Change, DesiredAccount, EnsureAccountResult, Entitlement, EntitlementMode, MatchKeys } from '../../domain/account';
import * as accounts from './accounts';
import { SalesforceCatalog } from './catalog';
import { salesforceConfigSchema, type SalesforceConfig } from './config';
import { createSalesforceConnection } from './connection';
import type { SalesforceContext } from './context';
import { salesforceDescription } from './description';
import { ensureEntitlements, syncGroups, type ManagedGroup } from './entitlements';
import { ensureDirectoryGroup, removeDirectoryGroup } from './directory-groups';
import type { DirectoryGroupRef, DirectoryGroupSync, GroupRemovalResult, GroupSyncResult } from '../group-sync';

export { salesforceConfigSchema, type SalesforceConfig } from './config';
export type { ManagedGroup } from './entitlements';

/** Salesforce through its REST API with jsforce. See accounts.ts and entitlements.ts for the semantics. */
export class SalesforceAdapter implements TargetAdapter, DirectoryGroupSync {
  readonly kind = 'salesforce';
  readonly entitlementKinds = salesforceDescription.entitlementKinds;
  private readonly ctx: SalesforceContext;

  constructor(
    readonly name: string,
    config: SalesforceConfig,
    env: NodeJS.ProcessEnv,
  ) {
    const { connection } = createSalesforceConnection(name, config, env);
    this.ctx = { target: name, config, connection, catalog: new SalesforceCatalog(connection) };
  }

  findAccount(match: MatchKeys): Promise<AccountState | null> {
    return accounts.findAccount(this.ctx, match);
  }

  ensureAccount(desired: DesiredAccount): Promise<EnsureAccountResult> {
    return accounts.ensureAccount(this.ctx, desired);
  }

  ensureEntitlements(accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]> {
    return ensureEntitlements(this.ctx, accountId, desired, mode);
  }

  suspend(match: MatchKeys): Promise<Change[]> {
    return accounts.suspend(this.ctx, match);
  }

  remove(match: MatchKeys): Promise<Change[]> {
    return accounts.remove(this.ctx, match);
  }

  listAccounts(): AsyncIterable<AccountState> {
    return accounts.listAccounts(this.ctx);
  }

  listCatalog(): Promise<Record<string, string[]>> {
    return this.ctx.catalog.names();
  }

  get syncsDirectoryGroups(): boolean {
    return this.ctx.config.groupSync.directoryGroups;
  }

  /** A directory group as a public group (directory-groups.ts). */
  ensureDirectoryGroup(group: DirectoryGroupRef, memberAnchors: string[]): Promise<GroupSyncResult> {
    return ensureDirectoryGroup(this.ctx, group, memberAnchors);
  }

  removeDirectoryGroup(group: DirectoryGroupRef): Promise<GroupRemovalResult> {
    return removeDirectoryGroup(this.ctx, group);
  }

  /** Public-group provisioning per `groupSync` (create / rename / delete managed groups). */
  syncGroups(groups: ManagedGroup[]): Promise<Change[]> {
    return syncGroups(this.ctx, groups);
  }
}

export const salesforceTarget: TargetDefinition<SalesforceConfig> = {
  kind: 'salesforce',
  description: salesforceDescription,
  configSchema: salesforceConfigSchema,
  createAdapter: (name, config, env) => new SalesforceAdapter(name, config, env),
};
