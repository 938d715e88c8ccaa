import { z } from 'zod';
import { commonTargetFields } from '../common-config';
import { strictObject } from '../../lib/config-schema';
import { scimConnectionFields } from '../scim/config';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/**
 * Highspot: users and group (audience) membership are written through Highspot's SCIM 2.0
 * endpoint (baseUrl + tokenEnv); last activity is read from the REST v1.0 API (restBaseUrl, Basic
 * auth with the API key and secret named by apiKeyEnv / apiSecretEnv).
 */
export const highspotConfigSchema = strictObject({
  kind: z.literal('highspot'),
  ...commonTargetFields,
  ...scimConnectionFields,
  /** Highspot keys users by e-mail address. */
  userNameAttribute: z.enum(['email', 'username']).default('email'),
  /** Tenant-specific, e.g. https://api-su2.highspot.com/v1.0 (never hard-coded). */
  restBaseUrl: z.string().url(),
  apiKeyEnv: envName,
  apiSecretEnv: envName,
});

export type HighspotConfig = z.output<typeof highspotConfigSchema>;
