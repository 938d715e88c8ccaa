/**
 * Generic SCIM 2.0 target (RFC 7643/7644): users by externalId/userName, access through group
 * membership. Highspot reuses the same client and connector (targets/highspot).
 */
import { secretFromEnv } from '../common-config';
import type { TargetDefinition } from '../adapter';
import { ScimClient } from './client';
import { scimConfigSchema, type ScimConfig } from './config';
import { GROUP_KIND, ScimConnector } from './connector';

export type { ScimConfig } from './config';
export { scimConfigSchema, scimConnectionFields } from './config';

export const scimTarget: TargetDefinition<ScimConfig> = {
  kind: 'scim',
  entitlementKinds: [GROUP_KIND],
  configSchema: scimConfigSchema,
  createAdapter(name, config, env) {
    const client = new ScimClient({
      baseUrl: config.baseUrl,
      token: secretFromEnv(env, config.tokenEnv, name, 'tokenEnv'),
      pageSize: config.pageSize,
      timeoutMs: config.requestTimeoutMs,
    });
    return new ScimConnector(name, 'scim', client, { deleteMode: config.deleteMode, userNameAttribute: config.userNameAttribute });
  },
};
