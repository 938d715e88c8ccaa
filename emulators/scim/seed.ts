import { z } from 'zod';

/**
 * What a SCIM emulator starts with. Groups are SP-defined (many SaaS apps only let admins create
 * them), users are optional so tests can start from a pre-existing account to link or collide with.
 */
export const scimSeedUserSchema = z.object({
  userName: z.string().min(1),
  externalId: z.string().optional(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  email: z.string().optional(),
  active: z.boolean().default(true),
  groups: z.array(z.string()).default([]),
});

export const scimSeedSchema = z.object({
  groups: z.array(z.string().min(1)).default([]),
  users: z.array(scimSeedUserSchema).default([]),
});

export type ScimSeed = z.input<typeof scimSeedSchema>;
export type ParsedScimSeed = z.output<typeof scimSeedSchema>;

/** Environment variable carrying the emulator's bearer token to its process. */
export const SCIM_TOKEN_ENV = 'SCIM_EMULATOR_TOKEN';

/** Matches the `scim` section of config/demo-catalog.yaml. */
export const DEFAULT_SCIM_SEED: ScimSeed = { groups: ['Agents', 'Team Leads', 'Admins'] };

/** Behaviour switches for the real-world SP variations in the SCIM contract (§4). */
export const scimSwitchesSchema = z.object({
  /** hard: DELETE removes (404 afterwards); soft: DELETE sets active=false and the user stays readable and unique. */
  deleteMode: z.enum(['hard', 'soft']).default('hard'),
  /** Some SPs have no PATCH: it answers 501 and ServiceProviderConfig says patch.supported=false. */
  patchSupported: z.boolean().default(true),
  /** Status PATCH answers with: 200 + resource or 204 without a body. */
  patchStatus: z.union([z.literal(200), z.literal(204)]).default(200),
  /** meta.version + ETag header, If-Match enforced with 412. */
  etag: z.boolean().default(false),
  /** Page size when the client sends no count, and the cap on any count it sends. */
  defaultPageSize: z.number().int().positive().default(20),
  maxPageSize: z.number().int().positive().default(100),
  /** Some SPs require userName to be an email address (400 invalidValue otherwise). */
  userNameMustBeEmail: z.boolean().default(false),
  /** Only SP-defined groups: POST/PUT/DELETE on /Groups are refused with 403; PATCH of members still works. */
  groupsReadOnly: z.boolean().default(false),
  /** Salesforce-style SPs serve discovery at /ServiceProviderConfigs (plural) and 404 the RFC name. */
  serviceProviderConfigPath: z.enum(['ServiceProviderConfig', 'ServiceProviderConfigs']).default('ServiceProviderConfig'),
  /** Some SPs leave `Resources` out of an empty ListResponse (allowed when totalResults is 0). */
  omitEmptyResources: z.boolean().default(false),
  /** Seconds sent in Retry-After with injected 429s. */
  retryAfterSeconds: z.number().int().nonnegative().default(1),
});

export type ScimSwitches = z.input<typeof scimSwitchesSchema>;
export type ParsedScimSwitches = z.output<typeof scimSwitchesSchema>;
