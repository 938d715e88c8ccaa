import { z } from 'zod';
import { scimSeedSchema, scimSeedUserSchema } from '../scim/seed';

/**
 * Highspot emulator seed: the `highspot` section of config/demo-catalog.yaml (groups) plus optional
 * pre-existing users, which may carry a last activity so reports have something to show.
 */
export const highspotSeedSchema = scimSeedSchema.extend({
  users: z.array(scimSeedUserSchema.extend({ lastActivityAt: z.string().datetime().optional() })).default([]),
  /** Content and training paths admins made assignable (PROVISIONAL, see HIGHSPOT_ONBOARDING). */
  onboarding: z.array(z.object({ type: z.enum(['content', 'training_path']), title: z.string().min(1) })).default([]),
});

export type HighspotSeed = z.input<typeof highspotSeedSchema>;

/** Environment variables carrying the emulator's credentials to its process. */
export const HIGHSPOT_ENV = { scimToken: 'HIGHSPOT_EMULATOR_SCIM_TOKEN', apiKey: 'HIGHSPOT_EMULATOR_API_KEY', apiSecret: 'HIGHSPOT_EMULATOR_API_SECRET' } as const;

/** Matches the `highspot` section of config/demo-catalog.yaml. */
export const DEFAULT_HIGHSPOT_SEED: HighspotSeed = {
  groups: ['All Employees', 'Sales - EMEA', 'Sales - AMER', 'Sales - APAC', 'Marketing', 'Sales Managers'],
};
