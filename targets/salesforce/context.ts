import type { Connection } from 'jsforce';
import type { SalesforceCatalog } from './catalog';
import type { SalesforceConfig } from './config';
import { classifySalesforceError } from './errors';

/** What every Salesforce operation needs: the target's name and config, its connection and catalog. */
export interface SalesforceContext {
  target: string;
  config: SalesforceConfig;
  connection(): Promise<Connection>;
  catalog: SalesforceCatalog;
}

/**
 * Runs one step against Salesforce and turns anything it throws into a classified failure that
 * names the target, the identity and (when known) the field.
 */
export async function step<T>(ctx: SalesforceContext, operation: string, identity: string | undefined, run: (conn: Connection) => Promise<T>, field?: string): Promise<T> {
  try {
    return await run(await ctx.connection());
  } catch (err) {
    throw classifySalesforceError(err, operation, { target: ctx.target, identity, field });
  }
}

/** jsforce save results: single-record calls throw on failure, so a returned result is a success. */
export function savedId(result: { id?: string | null; success?: boolean }): string {
  if (!result.id) throw new Error('Salesforce returned no id for a successful save');
  return result.id;
}
