import { EMAIL_LOGIN_DEFAULTS, type TargetKindDescription } from '../../domain/target-kind';

/** One role, one primary team and any number of secondary teams per user. */
export const HUBSPOT_ENTITLEMENT_KINDS = ['role', 'primaryTeam', 'secondaryTeam'] as const;

export const hubspotDescription: TargetKindDescription = {
  kind: 'hubspot',
  entitlementKinds: HUBSPOT_ENTITLEMENT_KINDS,
  singleValuedKinds: ['role', 'primaryTeam'],
  // HubSpot lists a user's primary team only as primaryTeam, never also as a secondary team.
  subsumedKinds: { secondaryTeam: 'primaryTeam' },
  accountFields: { defaults: EMAIL_LOGIN_DEFAULTS, usernameIsEmail: true, requiredFields: [] },
  matching: 'linked user id, then email only (HubSpot stores no anchor)',
  storesAnchor: false,
  reportsLastActivity: false,
};
