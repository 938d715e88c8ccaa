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

export type { HighspotConfig } from './config';
export { highspotConfigSchema } from './config';

class HighspotConnector extends ScimConnector {
  constructor(name: string, client: ScimClient, settings: ScimConnectorSettings, private readonly rest: HighspotRestReader) {
    super(name, highspotDescription, client, settings);
  }

  protected override async enricher(one?: AccountState): Promise<(account: AccountState) => AccountState> {
    const email = one ? one.email ?? one.username : undefined;
    if (one && !email) return (account) => account;
    const activity = await this.rest.lastActivityByEmail(email);
    return (account) => {
      const at = activity.get((account.email ?? account.username).toLowerCase());
      return at ? { ...account, lastActivityAt: at } : account;
    };
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
