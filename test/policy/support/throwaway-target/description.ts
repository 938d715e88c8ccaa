import type { TargetKindDescription } from '../../../../domain/target-kind';

/**
 * A made-up target kind whose facts differ from every built-in one (a short non-email login, a
 * required given name, its own single-valued and subsumed kinds), so a test can see they are used.
 */
export const throwawayDescription: TargetKindDescription = {
  kind: 'throwaway',
  entitlementKinds: ['seat', 'badge'],
  singleValuedKinds: ['seat'],
  subsumedKinds: { badge: 'seat' },
  accountFields: {
    defaults: { username: '{username}', email: '{email | lower}', givenName: '{givenName}', familyName: '{familyName}' },
    usernameIsEmail: false,
    usernameMaxLength: 8,
    requiredFields: ['givenName'],
  },
  storesAnchor: true,
  matching: 'linked id, then username',
  reportsLastActivity: false,
};
