/**
 * What the policy knows about each target kind without loading the adapters (plain data, so workflow
 * code can import it). The adapters' own `entitlementKinds` remain the authority at config load:
 * lib/config.ts passes them to validatePolicyAgainstTargets; these are the fallback for pure code.
 */

export const KNOWN_ENTITLEMENT_KINDS: Readonly<Record<string, readonly string[]>> = {
  salesforce: ['profile', 'role', 'permissionSet', 'permissionSetLicense', 'publicGroup'],
  hubspot: ['role', 'primaryTeam', 'secondaryTeam'],
  highspot: ['group'],
  scim: ['group'],
};

/** Entitlement kinds a person holds at most one of, per target kind. */
export const SINGLE_VALUED_KINDS: Readonly<Record<string, readonly string[]>> = {
  salesforce: ['profile', 'role'],
  hubspot: ['role', 'primaryTeam'],
  highspot: [],
  scim: [],
};

/**
 * Kinds that duplicate another kind of the same name: HubSpot lists a user's primary team only as
 * primaryTeam, never also as a secondary team, so a secondaryTeam equal to the primaryTeam is dropped.
 */
export const SUBSUMED_KINDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  hubspot: { secondaryTeam: 'primaryTeam' },
};

/** For a target whose kind is unknown to this table: the single-valued kinds of any known kind. */
const ANY_SINGLE_VALUED = [...new Set(Object.values(SINGLE_VALUED_KINDS).flat())].sort();

export function singleValuedKinds(targetKind: string | undefined): readonly string[] {
  return (targetKind && SINGLE_VALUED_KINDS[targetKind]) || ANY_SINGLE_VALUED;
}

export interface AccountFieldRules {
  /** Default templates for DesiredAccount core fields when the policy does not set them. */
  defaults: { username: string; email: string; givenName: string; familyName: string };
  /** Login names must look like an email (Salesforce Username, HubSpot/Highspot login). */
  usernameIsEmail: boolean;
  usernameMaxLength?: number;
  /** Core fields the target refuses to create an account without. */
  requiredFields: readonly ('givenName' | 'familyName')[];
}

const EMAIL_LOGIN: AccountFieldRules = {
  defaults: { username: '{email | lower}', email: '{email | lower}', givenName: '{givenName}', familyName: '{familyName}' },
  usernameIsEmail: true,
  requiredFields: [],
};

export const ACCOUNT_FIELD_RULES: Readonly<Record<string, AccountFieldRules>> = {
  // Salesforce: Username is email-shaped, max 80 characters, and LastName is required on create.
  salesforce: { ...EMAIL_LOGIN, usernameMaxLength: 80, requiredFields: ['familyName'] },
  hubspot: EMAIL_LOGIN,
  highspot: EMAIL_LOGIN,
  scim: { ...EMAIL_LOGIN, usernameIsEmail: false },
};

export function accountFieldRules(targetKind: string): AccountFieldRules {
  return ACCOUNT_FIELD_RULES[targetKind] ?? { ...EMAIL_LOGIN, usernameIsEmail: false };
}

/** Deliberately simple: one @, something on each side, a dot in the domain, no spaces. */
export function isPlausibleEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(value) && !value.includes('..');
}
