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
   * Required. HubSpot's user API has no deactivate call (deactivation is UI-only) and a user without
   * a role may still sign in, so suspending (leavers, future starters) assigns this role and clears
   * the teams; it must exist in the portal and should grant nothing (and hold no paid seat). The user
   * keeps owning their records until the grace period ends and idsync removes the account.
   */
  suspendRoleName: z.string({
    error: 'required: HubSpot cannot deactivate users through its API; name a role that grants nothing (e.g. "No Access") and exists in the portal',
  }).min(1),
  /** Whether HubSpot emails new users an invitation to set their password. */
  sendWelcomeEmail: z.boolean().default(false),
});

export type HubspotConfig = z.output<typeof hubspotConfigSchema>;
