import { EMAIL_LOGIN_DEFAULTS, type TargetKindDescription } from '../../domain/target-kind';

/** SCIM access is group membership; Highspot (provisioned through SCIM) shares it. */
export const GROUP_KIND = 'group';

export const scimDescription: TargetKindDescription = {
  kind: 'scim',
  entitlementKinds: [GROUP_KIND],
  singleValuedKinds: [],
  subsumedKinds: {},
  // userName is whatever the application wants; the email default is a convention, not a rule.
  accountFields: { defaults: EMAIL_LOGIN_DEFAULTS, usernameIsEmail: false, requiredFields: [] },
  matching: 'linked account id, then externalId, then userName',
  storesAnchor: true,
  reportsLastActivity: false,
};
