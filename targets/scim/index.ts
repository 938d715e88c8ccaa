/**
 * Generic SCIM 2.0 target (RFC 7643/7644): users by externalId/userName, access through group
 * membership. Highspot reuses the same client and connector (targets/highspot).
 */
import { secretFromEnv } from '../common-config';
import type { TargetDefinition } from '../adapter';
import { ScimClient } from './client';
import { scimConfigSchema, type ScimConfig } from './config';
import { ScimConnector, type ScimConnectorSettings } from './connector';
import { scimDescription } from './description';

export type { ScimConfig } from './config';
export { scimConfigSchema, scimConnectionFields } from './config';

type ScimConnectionConfig = Pick<ScimConfig, 'baseUrl' | 'tokenEnv' | 'pageSize' | 'requestTimeoutMs' | 'deleteMode' | 'userNameAttribute'> & Partial<Pick<ScimConfig, 'groupSync'>>;

/** The SCIM client and connector settings of any SCIM-provisioned target's config block. */
export function scimConnection(name: string, config: ScimConnectionConfig, env: NodeJS.ProcessEnv): { client: ScimClient; settings: ScimConnectorSettings } {
  const client = new ScimClient({
    baseUrl: config.baseUrl,
    token: secretFromEnv(env, config.tokenEnv, name, 'tokenEnv'),
    pageSize: config.pageSize,
    timeoutMs: config.requestTimeoutMs,
  });
  return { client, settings: { deleteMode: config.deleteMode, userNameAttribute: config.userNameAttribute, ...(config.groupSync ? { groupSync: config.groupSync } : {}) } };
}

export const scimTarget: TargetDefinition<ScimConfig> = {
  kind: 'scim',
  description: scimDescription,
  configSchema: scimConfigSchema,
  createAdapter(name, config, env) {
    const { client, settings } = scimConnection(name, config, env);
    return new ScimConnector(name, scimDescription, client, settings);
  },
};
