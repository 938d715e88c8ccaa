import type { TargetDefinition } from '../adapter';
import { secretFromEnv } from '../common-config';
import { HubspotAdapter } from './adapter';
import { hubspotUsersApi } from './client';
import { hubspotConfigSchema, type HubspotConfig } from './config';
import { hubspotDescription } from './description';

export const hubspotTarget: TargetDefinition<HubspotConfig> = {
  kind: 'hubspot',
  description: hubspotDescription,
  configSchema: hubspotConfigSchema,
  createAdapter(name, config, env) {
    const token = secretFromEnv(env, config.accessTokenEnv, name, 'accessTokenEnv');
    return new HubspotAdapter(name, config, hubspotUsersApi(config.basePath, token));
  },
};

export { HubspotAdapter } from './adapter';
export { hubspotConfigSchema, type HubspotConfig } from './config';
