import { EMAIL_LOGIN_DEFAULTS, type TargetKindDescription } from '../../domain/target-kind';

/** Grant kinds the Salesforce adapter manages (see catalog.ts for how each is looked up). */
export const SALESFORCE_ENTITLEMENT_KINDS = ['profile', 'role', 'permissionSet', 'permissionSetLicense', 'publicGroup', 'territory'] as const;

export const salesforceDescription: TargetKindDescription = {
  kind: 'salesforce',
  entitlementKinds: SALESFORCE_ENTITLEMENT_KINDS,
  // A User has exactly one ProfileId and at most one UserRoleId.
  singleValuedKinds: ['profile', 'role'],
  subsumedKinds: {},
  // Username is email-shaped, max 80 characters, and LastName is required on create.
  accountFields: { defaults: EMAIL_LOGIN_DEFAULTS, usernameIsEmail: true, usernameMaxLength: 80, requiredFields: ['familyName'] },
  matching: 'linked user id, then FederationIdentifier, then Username/Email',
  storesAnchor: true,
  reportsLastActivity: true, // User.LastLoginDate
};
