import { z } from 'zod';
import { commonTargetFields } from '../common-config';
import { strictObject } from '../../lib/config-schema';

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * `targets.<name>` for kind hubspot. The SDK joins basePath and "/settings/..." verbatim, so a
 * trailing slash would produce "//settings" and every call would 404: it is stripped here.
 */
export const hubspotConfigSchema = strictObject({
  kind: z.literal('hubspot'),
  ...commonTargetFields,
  /**
   * Professional/Enterprise portals allow 190 requests per rolling 10 s (Starter: 100). Each idsync
   * activity makes at most 2 requests when nothing fails (a read, then a write), so 9 activities/s
   * is 95 % of 19 req/s; Starter portals should set 4.5. The limit is shared by every app in the portal.
   */
  rateLimit: commonTargetFields.rateLimit.unwrap().default({ activitiesPerSecond: 9, maxConcurrent: 4 }),
  basePath: z
    .string()
    .refine(isHttpUrl, { message: 'expected an absolute http(s) URL such as https://api.hubapi.com' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('https://api.hubapi.com'),
  /** Name of the environment variable holding the private-app token (never the token itself). */
  accessTokenEnv: z.string().regex(ENV_VAR_NAME, { message: 'expected an environment variable name, e.g. HUBSPOT_TOKEN' }),
  /**
   * HubSpot users cannot be disabled; suspending assigns this permission-less role and clears the
   * teams. Without it, suspend clears role and teams (the user keeps HubSpot's minimal defaults).
   */
  suspendRoleName: z.string().min(1).optional(),
  /** Whether HubSpot emails new users an invitation to set their password. */
  sendWelcomeEmail: z.boolean().default(false),
});

export type HubspotConfig = z.output<typeof hubspotConfigSchema>;
