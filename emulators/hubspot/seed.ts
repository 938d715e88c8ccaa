import { z } from 'zod';

/**
 * What a HubSpot emulator starts with: the `hubspot` section of config/demo-catalog.yaml, or a
 * test's own catalog. Roles and teams are the account's catalog; users are pre-existing seats
 * (super admins can only come from here: the API cannot create them).
 */
const numericId = z.string().regex(/^\d+$/, 'HubSpot ids are numeric strings');

const roleSeedSchema = z.object({
  name: z.string().min(1),
  id: numericId.optional(),
  /** Paid-seat roles: assigning them needs the billing-write scope. */
  requiresBillingWrite: z.boolean().default(false),
});

const teamSeedSchema = z.union([
  z.string().min(1).transform((name) => ({ name, id: undefined as string | undefined })),
  z.object({ name: z.string().min(1), id: numericId.optional() }),
]);

const userSeedSchema = z.object({
  email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'expected an email address'),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  superAdmin: z.boolean().default(false),
  /** Role and team references are names from this seed's catalog. */
  role: z.string().optional(),
  primaryTeam: z.string().optional(),
  secondaryTeams: z.array(z.string()).default([]),
});

export const DEFAULT_SUPER_ADMIN = { email: 'superadmin@example.com', firstName: 'Super', lastName: 'Admin', superAdmin: true, secondaryTeams: [] };

export const hubspotTierSchema = z.enum(['starter', 'professional', 'enterprise']);
export type HubspotTier = z.infer<typeof hubspotTierSchema>;

export const hubspotSeedSchema = z
  .object({
    tier: hubspotTierSchema.default('professional'),
    portalId: z.number().int().positive().default(4_200_001),
    roles: z.array(roleSeedSchema).default([]),
    teams: z.array(teamSeedSchema).default([]),
    /** Omitted: one super admin, as every real portal has one. */
    users: z.array(userSeedSchema).default([DEFAULT_SUPER_ADMIN]),
  })
  .superRefine((seed, ctx) => {
    const roleNames = new Set(seed.roles.map((r) => r.name));
    const teamNames = new Set(seed.teams.map((t) => t.name));
    seed.users.forEach((user, i) => {
      if (user.role && !roleNames.has(user.role)) ctx.addIssue({ code: 'custom', path: ['users', i, 'role'], message: `unknown role "${user.role}"` });
      for (const team of [user.primaryTeam, ...user.secondaryTeams].filter((t): t is string => !!t)) {
        if (!teamNames.has(team)) ctx.addIssue({ code: 'custom', path: ['users', i], message: `unknown team "${team}"` });
      }
    });
  });

export type HubspotSeed = z.input<typeof hubspotSeedSchema>;
export type ParsedHubspotSeed = z.output<typeof hubspotSeedSchema>;

/** The demo catalog's HubSpot section, so tests and the emulator's own default agree with `npm start`. */
export const DEFAULT_HUBSPOT_SEED: HubspotSeed = {
  tier: 'professional',
  roles: [{ name: 'Sales Rep' }, { name: 'Sales Manager' }, { name: 'Marketing Contributor' }, { name: 'Marketing Admin' }, { name: 'No Access' }],
  teams: ['EMEA', 'AMER', 'APAC', 'Marketing', 'Sales Leadership'],
};

/** Requests per rolling 10 s window and per day for private apps, by subscription tier. */
export const TIER_LIMITS: Record<HubspotTier, { max: number; intervalMs: number; daily: number }> = {
  starter: { max: 100, intervalMs: 10_000, daily: 250_000 },
  professional: { max: 190, intervalMs: 10_000, daily: 625_000 },
  enterprise: { max: 190, intervalMs: 10_000, daily: 1_000_000 },
};
