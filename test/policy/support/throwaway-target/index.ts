/**
 * The throwaway kind's definition: what a new folder under targets/ would export. Its adapter keeps
 * accounts in memory; the point is the registration, not the provisioning.
 */
import { z } from 'zod';
import type { TargetAdapter, TargetDefinition } from '../../../../targets/adapter';
import type { AccountState, Change, DesiredAccount, EnsureAccountResult, Entitlement, MatchKeys } from '../../../../domain/account';
import { commonTargetFields } from '../../../../targets/common-config';
import { throwawayDescription } from './description';

export const throwawayConfigSchema = z.object({ kind: z.literal('throwaway'), ...commonTargetFields, room: z.string().min(1) });
export type ThrowawayConfig = z.output<typeof throwawayConfigSchema>;

class ThrowawayAdapter implements TargetAdapter {
  readonly kind = throwawayDescription.kind;
  readonly entitlementKinds = throwawayDescription.entitlementKinds;
  private readonly accounts = new Map<string, AccountState>();

  constructor(readonly name: string) {}

  async findAccount(match: MatchKeys): Promise<AccountState | null> {
    const linked = match.accountId ? this.accounts.get(match.accountId) : undefined;
    return linked ?? [...this.accounts.values()].find((a) => a.anchor === match.anchor || a.username === match.username) ?? null;
  }

  async ensureAccount(desired: DesiredAccount): Promise<EnsureAccountResult> {
    const existing = await this.findAccount(desired);
    const id = existing?.id ?? `t-${this.accounts.size + 1}`;
    this.accounts.set(id, { id, anchor: desired.anchor, username: desired.username, email: desired.email, active: desired.active, attributes: {}, entitlements: existing?.entitlements ?? [] });
    return { accountId: id, created: !existing, changes: existing ? [] : [{ action: 'create', target: this.name, accountId: id, subject: 'account' }] };
  }

  async ensureEntitlements(accountId: string, desired: Entitlement[]): Promise<Change[]> {
    const account = this.accounts.get(accountId);
    if (account) account.entitlements = desired.map(({ kind, name }) => ({ kind, name }));
    return [];
  }

  async suspend(match: MatchKeys): Promise<Change[]> {
    const account = await this.findAccount(match);
    if (account) account.active = false;
    return [];
  }

  async remove(match: MatchKeys): Promise<Change[]> {
    const account = await this.findAccount(match);
    if (account) this.accounts.delete(account.id);
    return [];
  }

  async *listAccounts(): AsyncIterable<AccountState> {
    yield* this.accounts.values();
  }

  async listCatalog(): Promise<Record<string, string[]>> {
    return { seat: ['A', 'B', 'Old'], badge: ['Gold'] };
  }
}

export const throwawayTarget: TargetDefinition<ThrowawayConfig> = {
  kind: 'throwaway',
  description: throwawayDescription,
  configSchema: throwawayConfigSchema,
  createAdapter: (name) => new ThrowawayAdapter(name),
};
