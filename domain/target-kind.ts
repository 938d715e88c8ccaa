/**
 * What a target kind tells the rest of idsync about itself, as plain data: no SDK, no zod, no I/O,
 * so pure policy code (which may run inside a Temporal workflow) can be handed it. Each
 * `targets/<kind>/description.ts` exports one; the kind's TargetDefinition carries it and
 * targets/registry.ts exposes it. Adapters take their `entitlementKinds` from it, so the two
 * cannot disagree.
 */

/** How policy maps a person onto the account's core fields in this kind of target. */
export interface AccountFieldRules {
  /** Default templates for DesiredAccount core fields when the policy does not set them. */
  defaults: { username: string; email: string; givenName: string; familyName: string };
  /** Login names must look like an email (Salesforce Username, HubSpot/Highspot login). */
  usernameIsEmail: boolean;
  usernameMaxLength?: number;
  /** Core fields the target refuses to create an account without. */
  requiredFields: readonly ('givenName' | 'familyName')[];
}

export interface TargetKindDescription {
  /** The `kind:` value in config, e.g. "salesforce". */
  kind: string;
  /** Entitlement kinds the adapter understands; policy granting any other kind is refused at config load. */
  entitlementKinds: readonly string[];
  /** Kinds a person holds at most one of (Salesforce profile and role, HubSpot role and primaryTeam). */
  singleValuedKinds: readonly string[];
  /**
   * Kinds that duplicate another kind of the same name, as { duplicate: kept }: HubSpot lists a
   * user's primary team only as primaryTeam, so a secondaryTeam equal to the primaryTeam is dropped.
   */
  subsumedKinds: Readonly<Record<string, string>>;
  accountFields: AccountFieldRules;
  /** One line for humans: how an account is matched to a person, e.g. "FederationIdentifier, then Username/Email". */
  matching: string;
  /** Whether AccountState.lastActivityAt is filled in (last login or activity). */
  reportsLastActivity: boolean;
  /** Whether accounts carry the person's anchor (AccountState.anchor); without it only links and username/email match. */
  storesAnchor: boolean;
}

/** Core-field templates of a target whose login is the person's (lower-cased) email. */
export const EMAIL_LOGIN_DEFAULTS: AccountFieldRules['defaults'] = {
  username: '{email | lower}',
  email: '{email | lower}',
  givenName: '{givenName}',
  familyName: '{familyName}',
};

/**
 * What is wrong with a description, as sentences (empty when nothing is): single-valued and
 * subsumed kinds must be entitlement kinds of the same target, the matching line must be there.
 */
export function descriptionProblems(description: TargetKindDescription): string[] {
  const problems: string[] = [];
  const known = new Set(description.entitlementKinds);
  const where = `target kind "${description.kind}"`;
  if (description.entitlementKinds.length === 0) problems.push(`${where} declares no entitlement kinds`);
  for (const kind of description.singleValuedKinds) {
    if (!known.has(kind)) problems.push(`${where}: single-valued kind "${kind}" is not one of its entitlement kinds`);
  }
  for (const [duplicate, kept] of Object.entries(description.subsumedKinds)) {
    if (!known.has(duplicate) || !known.has(kept)) problems.push(`${where}: subsumed kinds ${duplicate} -> ${kept} name a kind it does not have`);
  }
  if (!description.matching.trim()) problems.push(`${where}: "matching" is empty`);
  return problems;
}
