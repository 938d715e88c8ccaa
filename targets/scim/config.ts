import { z } from 'zod';
import { commonTargetFields } from '../common-config';
import { strictObject } from '../../lib/config-schema';

/** Connection and behaviour fields every SCIM-provisioned target shares (generic SCIM, Highspot). */
export const scimConnectionFields = {
  /** Base URL including the SCIM prefix, e.g. https://app.example.com/scim/v2 */
  baseUrl: z.string().url(),
  /** Name of the environment variable holding the bearer token (never the token itself). */
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
  /** remove(): delete the account, or leave it deactivated (keeps history, frees the license at most SPs). */
  deleteMode: z.enum(['delete', 'deactivate']).default('deactivate'),
  /** Which DesiredAccount field becomes the SCIM userName. */
  userNameAttribute: z.enum(['email', 'username']).default('username'),
  /** Page size requested when listing; the SP may cap it further. */
  pageSize: z.number().int().positive().max(1000).default(100),
  requestTimeoutMs: z.number().int().positive().default(30_000),
};

export const scimConfigSchema = strictObject({
  kind: z.literal('scim'),
  ...commonTargetFields,
  ...scimConnectionFields,
  /**
   * Directory groups as SCIM Groups, where the service provider lets clients create and change
   * groups (many only have SP-defined groups: leave this off there). PingFederate's semantics: match
   * by displayName, create, rename, overwrite membership, delete only groups idsync created.
   */
  groupSync: strictObject({
    directoryGroups: z.boolean().default(false),
    /** Create a group the SP does not have yet (with externalId = the directory group's anchor). */
    createMissing: z.boolean().default(true),
    /** Delete a group idsync created once its directory group is gone (after the mass-change guard). */
    deleteManaged: z.boolean().default(true),
    /** overwrite: members are exactly the directory group's; merge: never remove a member. */
    membership: z.enum(['overwrite', 'merge']).default('overwrite'),
  }).prefault({}),
});

export type ScimConfig = z.output<typeof scimConfigSchema>;
