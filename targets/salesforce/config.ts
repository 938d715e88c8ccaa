import { z } from 'zod';
import { commonTargetFields } from '../common-config';
import { envVarName, strictObject } from '../../lib/config-schema';

/** SOQL-safe API field name (standard or custom): the connector interpolates these into queries. */
const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { message: 'expected a Salesforce API field name' });

const clientCredentialsAuth = strictObject({
  flow: z.literal('client_credentials'),
  /** Connected-app consumer key (not a secret). */
  clientId: z.string().min(1),
  /** Name of the environment variable holding the consumer secret (a name: the secret itself is refused). */
  clientSecretEnv: envVarName,
});

const jwtAuth = strictObject({
  flow: z.literal('jwt'),
  clientId: z.string().min(1),
  /** Name of the environment variable holding the PEM private key whose certificate the connected app trusts. */
  privateKeyEnv: envVarName,
  /** The pre-authorised Salesforce user the integration runs as (JWT `sub`). */
  username: z.string().min(1),
  /** JWT `aud`; by default login.salesforce.com (production, My Domain) or test.salesforce.com (sandboxes). */
  audience: z.string().url().optional(),
});

export const salesforceConfigSchema = strictObject({
  kind: z.literal('salesforce'),
  ...commonTargetFields,
  /** Token endpoint host: My Domain, login.salesforce.com, test.salesforce.com or an emulator. */
  loginUrl: z
    .string()
    .url()
    .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(u), {
      message: 'must be https (plain http only for a loopback emulator): tokens and personal data travel over it',
    })
    .transform((u) => u.replace(/\/+$/, '')),
  /** Always explicit: jsforce's default (50.0) predates fields the connector reads. */
  apiVersion: z.string().regex(/^\d{2}\.0$/, { message: 'expected an API version such as 62.0' }).default('62.0'),
  auth: z.discriminatedUnion('flow', [clientCredentialsAuth, jwtAuth]),
  /** freeze: UserLogin.IsFrozen (keeps the license, reversible at once); deactivate: IsActive=false. */
  suspendMode: z.enum(['freeze', 'deactivate']).default('freeze'),
  /** Values for the required User fields when policy maps none. */
  defaults: strictObject({
    TimeZoneSidKey: z.string().default('Europe/London'),
    LocaleSidKey: z.string().default('en_GB'),
    EmailEncodingKey: z.string().default('UTF-8'),
    LanguageLocaleKey: z.string().default('en_US'),
    /** Profile for new users when policy grants none. */
    profile: z.string().optional(),
  }).prefault({}),
  /** Public-group handling, modelled on PingFederate's Salesforce connector. Each part is opt-in. */
  groupSync: strictObject({
    /** Create a public group named in policy that does not exist yet (otherwise UnknownEntitlement). */
    createMissing: z.boolean().default(false),
    /** Find groups by DeveloperName (stable) and rename their Name when it differs. */
    renameByDeveloperName: z.boolean().default(false),
    /** syncGroups() deletes groups carrying `managedPrefix` that policy no longer names. */
    deleteUnmanaged: z.boolean().default(false),
    /** overwrite: memberships follow entitlementMode; merge: never remove a group membership. */
    membership: z.enum(['overwrite', 'merge']).default('overwrite'),
    /** DeveloperName prefix of groups idsync created, the only ones deleteUnmanaged may delete. */
    managedPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).default('idsync_'),
    /**
     * Provision the directory's groups (the watcher's group events) as public groups: matched by name,
     * created (createMissing), renamed with the directory group, members overwritten (membership) and
     * deleted (deleteUnmanaged) only when idsync created them.
     */
    directoryGroups: z.boolean().default(false),
    /** DeveloperName prefix of public groups idsync creates for directory groups (the rest is the group's anchor). */
    directoryPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).default('idsync_dir_'),
  }).prefault({}),
  /** User fields read into AccountState.attributes (same keys policy maps into DesiredAccount.attributes). */
  attributeFields: z
    .array(fieldName)
    .default(['Alias', 'CommunityNickname', 'TimeZoneSidKey', 'LocaleSidKey', 'EmailEncodingKey', 'LanguageLocaleKey', 'Title', 'Department', 'Division', 'CompanyName', 'EmployeeNumber']),
  /** Grants idsync never revokes, as "kind:name" (e.g. "permissionSet:Break_Glass_Admin"). */
  ignoreEntitlements: z.array(z.string().regex(/^[A-Za-z]+:.+$/)).default([]),
  /**
   * jsforce's own silent retries of GET/PUT/DELETE (default in jsforce: 5, sleeping up to 8 s each).
   * 0 leaves retrying to Temporal's activity retry policy, so attempts do not multiply.
   */
  httpRetries: z.number().int().min(0).max(5).default(0),
  /** Per-request timeout (jsforce's default is 30 minutes, longer than any sensible activity timeout). */
  requestTimeoutMs: z.number().int().positive().default(60_000),
  /** Records per page when listing accounts. */
  pageSize: z.number().int().min(1).max(2000).default(200),
});

export type SalesforceConfig = z.output<typeof salesforceConfigSchema>;
