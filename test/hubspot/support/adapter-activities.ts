import type { TargetAdapter } from '../../../targets/adapter';
import type { DesiredAccount, Entitlement, EntitlementMode } from '../../../domain/account';

/**
 * The two provisioning activities a joiner needs, straight over the adapter (no runtime, no audit):
 * the connector inside real Temporal activities, for test/hubspot/activity-retries.test.ts.
 */
export function createBulkActivities(adapters: ReadonlyMap<string, TargetAdapter>) {
  const adapter = (target: string) => {
    const found = adapters.get(target);
    if (!found) throw new Error(`no adapter for target ${target}`);
    return found;
  };
  return {
    async ensureAccount(target: string, desired: DesiredAccount): Promise<{ accountId: string; created: boolean; changes: number }> {
      const result = await adapter(target).ensureAccount(desired);
      return { accountId: result.accountId, created: result.created, changes: result.changes.length };
    },
    async ensureEntitlements(target: string, accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<number> {
      return (await adapter(target).ensureEntitlements(accountId, desired, mode)).length;
    },
  };
}

export type BulkActivities = ReturnType<typeof createBulkActivities>;
