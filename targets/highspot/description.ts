import { EMAIL_LOGIN_DEFAULTS, type TargetKindDescription } from '../../domain/target-kind';
import { GROUP_KIND } from '../scim/description';

export const highspotDescription: TargetKindDescription = {
  kind: 'highspot',
  /**
   * Highspot groups (how content is targeted to audiences), the access level (exactly one per
   * user) and onboarding assignments of content and training paths (PROVISIONAL, assumed-contract.ts).
   */
  entitlementKinds: [GROUP_KIND, 'accessLevel', 'content', 'trainingPath'],
  singleValuedKinds: ['accessLevel'],
  subsumedKinds: {},
  // Highspot keys users by e-mail address.
  accountFields: { defaults: EMAIL_LOGIN_DEFAULTS, usernameIsEmail: true, requiredFields: [] },
  matching: 'linked account id, then externalId, then userName (e-mail)',
  storesAnchor: true,
  reportsLastActivity: true, // REST v1.0 (assumed-contract.ts)
};
