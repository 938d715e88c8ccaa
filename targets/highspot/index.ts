/**
 * Highspot target. Highspot's REST write API is undocumented, so provisioning goes through its
 * SCIM 2.0 endpoint like the IdP integrations do (same client and connector as the generic SCIM
 * target); the REST v1.0 read side adds last activity. Every assumed Highspot name is in
 * ./assumed-contract.ts (provisional until checked against a real tenant).
 */
import { secretFromEnv } from '../common-config';
import type { TargetDefinition } from '../adapter';
import type { AccountState } from '../../domain/account';
import type { ScimClient } from '../scim/client';
import { scimConnection } from '../scim';
import { ScimConnector, type ScimConnectorSettings } from '../scim/connector';
import { highspotConfigSchema, type HighspotConfig } from './config';
import { highspotDescription } from './description';
import { HighspotRestReader } from './rest';
import { restUserFacts } from './assumed-contract';
import { accessCatalog, ensureAccess, HIGHSPOT_REST_KINDS, restEntitlements } from './access';
import type { Change, Entitlement, EntitlementMode } from '../../domain/account';

export type { HighspotConfig } from './config';
export { highspotConfigSchema } from './config';

class HighspotConnector extends ScimConnector {
  constructor(name: string, client: ScimClient, settings: ScimConnectorSettings, private readonly rest: HighspotRestReader) {
    super(name, highspotDescription, client, settings);
  }

  /** Last activity, access level and assignments from the REST side (SCIM knows only groups). */
  protected override async enricher(one?: AccountState): Promise<(account: AccountState) => AccountState> {
    const email = one ? one.email ?? one.username : undefined;
    if (one && !email) return (account) => account;
    const users = await this.rest.usersByEmail(email);
    return (account) => {
      const raw = users.get((account.email ?? account.username).toLowerCase());
      if (raw === undefined) return account;
      const at = restUserFacts(raw).lastActivityAt;
      return { ...account, entitlements: [...account.entitlements, ...restEntitlements(raw)], ...(at ? { lastActivityAt: at } : {}) };
    };
  }

  override async ensureEntitlements(accountId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]> {
    const groups = await super.ensureEntitlements(accountId, desired.filter((e) => !HIGHSPOT_REST_KINDS.includes(e.kind)), mode);
    const access = await this.guard({ target: this.name, identity: accountId }, () => ensureAccess(this.name, this.rest, accountId, desired.filter((e) => HIGHSPOT_REST_KINDS.includes(e.kind)), mode));
    return [...groups, ...access];
  }

  override async listCatalog(): Promise<Record<string, string[]>> {
    const groups = await super.listCatalog();
    return { ...groups, ...(await this.guard({ target: this.name }, () => accessCatalog(this.rest))) };
  }
}

export const highspotTarget: TargetDefinition<HighspotConfig> = {
  kind: 'highspot',
  description: highspotDescription,
  configSchema: highspotConfigSchema,
  createAdapter(name, config, env) {
    const { client, settings } = scimConnection(name, config, env);
    const rest = new HighspotRestReader({
      restBaseUrl: config.restBaseUrl,
      apiKey: secretFromEnv(env, config.apiKeyEnv, name, 'apiKeyEnv'),
      apiSecret: secretFromEnv(env, config.apiSecretEnv, name, 'apiSecretEnv'),
      timeoutMs: config.requestTimeoutMs,
    });
    return new HighspotConnector(name, client, settings, rest);
  },
};
