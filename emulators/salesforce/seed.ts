import { z } from 'zod';

/**
 * What a Salesforce emulator starts with. Accepts the `salesforce` section of
 * config/demo-catalog.yaml; tests build smaller seeds (e.g. 1 license to exercise limits).
 */
const profileSeed = z.object({ name: z.string().min(1), license: z.string().min(1) });
const roleSeed = z.object({ name: z.string().min(1), parent: z.string().optional(), developerName: z.string().optional() });
const permissionSetLicenseSeed = z.object({ name: z.string().min(1), total: z.number().int().nonnegative() });
const permissionSetSeed = z.object({
  name: z.string().min(1),
  label: z.string().optional(),
  /** Assignable only to users holding this permission-set license (FIELD_INTEGRITY_EXCEPTION otherwise). */
  permissionSetLicense: z.string().optional(),
  /** Restricts the set to users whose profile has this user license (PermissionSet.LicenseId). */
  userLicense: z.string().optional(),
});
const groupSeed = z.union([z.string().min(1), z.object({ name: z.string().min(1), developerName: z.string().optional() })]);
const userSeed = z.object({
  Username: z.string(),
  LastName: z.string(),
  Email: z.string(),
  profile: z.string(),
  FirstName: z.string().optional(),
  Alias: z.string().optional(),
  FederationIdentifier: z.string().optional(),
  IsActive: z.boolean().default(true),
  role: z.string().optional(),
  LastLoginDate: z.string().optional(),
  /** Enables the username–password OAuth flow for this user (password + security token, concatenated). */
  password: z.string().optional(),
  permissionSets: z.array(z.string()).default([]),
  groups: z.array(z.string()).default([]),
});

export const salesforceSeedSchema = z.object({
  orgId: z.string().regex(/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/).default('00D5e000000EmuEAA'),
  /** Seats per user-license type, e.g. { Salesforce: 40, "Chatter Free": 200 }. */
  userLicenses: z.record(z.string(), z.number().int().nonnegative()).default({ Salesforce: 10 }),
  profiles: z.array(profileSeed).default([{ name: 'Standard User', license: 'Salesforce' }]),
  roles: z.array(roleSeed).default([]),
  permissionSetLicenses: z.array(permissionSetLicenseSeed).default([]),
  permissionSets: z.array(permissionSetSeed).default([]),
  publicGroups: z.array(groupSeed).default([]),
  /** Enterprise Territory Management: models (one Active at a time in a real org) and their territories. */
  territoryModels: z.array(z.object({ developerName: z.string(), name: z.string().optional(), state: z.enum(['Planning', 'Active', 'Archived']).default('Active') })).default([]),
  territories: z.array(z.object({ developerName: z.string(), name: z.string().optional(), model: z.string(), parent: z.string().optional() })).default([]),
  users: z.array(userSeed).default([]),
  /** Usernames taken "in another org": creating them fails with DUPLICATE_USERNAME. */
  usernamesTakenElsewhere: z.array(z.string()).default([]),
});

export type SalesforceSeed = z.input<typeof salesforceSeedSchema>;
export type ParsedSalesforceSeed = z.output<typeof salesforceSeedSchema>;

/** A small but complete org: enough for the connector's joiner/mover/leaver paths. */
export const DEFAULT_SALESFORCE_SEED: SalesforceSeed = {
  userLicenses: { Salesforce: 10, 'Chatter Free': 50 },
  profiles: [
    { name: 'System Administrator', license: 'Salesforce' },
    { name: 'Standard User', license: 'Salesforce' },
    { name: 'Chatter Free User', license: 'Chatter Free' },
  ],
  roles: [{ name: 'CEO' }, { name: 'Sales Manager', parent: 'CEO' }, { name: 'Sales Rep', parent: 'Sales Manager' }],
  permissionSetLicenses: [{ name: 'Sales Cloud Einstein', total: 2 }],
  permissionSets: [
    { name: 'Sales_Ops', label: 'Sales Operations', userLicense: 'Salesforce' },
    { name: 'Sales_Einstein', label: 'Einstein for Sales', permissionSetLicense: 'Sales Cloud Einstein' },
    { name: 'Service_Console', label: 'Service Console' },
  ],
  publicGroups: ['All Sales', 'Sales EMEA'],
  territoryModels: [
    { developerName: 'FY27', state: 'Active' },
    { developerName: 'FY26', state: 'Archived' },
  ],
  territories: [
    { developerName: 'EMEA', name: 'Europe, Middle East and Africa', model: 'FY27' },
    { developerName: 'EMEA_North', name: 'EMEA North', model: 'FY27', parent: 'EMEA' },
    { developerName: 'AMER', name: 'Americas', model: 'FY27' },
    // Last year's model keeps a territory of the same DeveloperName: only the active model's counts.
    { developerName: 'EMEA', name: 'EMEA (FY26)', model: 'FY26' },
  ],
};

/** Salesforce DeveloperName rules: letters, digits, underscores; starts with a letter; no double/trailing underscore. */
export function toDeveloperName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  const withLetter = /^[A-Za-z]/.test(cleaned) ? cleaned : `X${cleaned}`;
  return withLetter.slice(0, 40).replace(/_$/, '');
}
