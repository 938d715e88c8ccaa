/**
 * Config of idsync's inbound SCIM endpoint, in two places: `directory.kind: scim` (the pushed users
 * ARE the directory) or `intake.scim` (pushes alongside an LDAP directory, as an authoritative
 * intake source). Strict like the rest of the file; the token is only ever named by its variable.
 */
import { z } from 'zod';
import { envVarName, strictObject } from '../../lib/config-schema';

const endpointFields = {
  /** Where the one owning process (starters/watch.ts, or npm start) serves /scim/v2. */
  port: z.number().int().min(0).max(65535).default(8788),
  host: z.string().min(1).default('127.0.0.1'),
  /** Name of the environment variable holding the bearer token clients send (at least 16 characters). */
  tokenEnv: envVarName,
  /** The store's log lives here; keep it with the process that serves the endpoint, like the watcher's state. */
  stateDir: z.string().min(1).default('.idsync/scim'),
  /** Larger request bodies get 413. */
  maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Largest page a list returns (announced in /ServiceProviderConfig). */
  maxResults: z.number().int().min(1).max(10_000).default(200),
};

export const scimEndpointSchema = strictObject(endpointFields);
export type ScimEndpointConfig = z.infer<typeof scimEndpointSchema>;

export const scimDirectorySchema = strictObject({
  kind: z.literal('scim'),
  ...endpointFields,
  /**
   * How idsync's other processes (workers on other hosts) reach the endpoint, ending in /scim/v2;
   * default http://<host>:<port>/scim/v2. They read it over HTTP, never the store's files.
   */
  url: z
    .string()
    .url()
    .regex(/^https?:\/\/[^/]+(\/.*)?\/scim\/v2$/, 'expected the endpoint base URL, ending in /scim/v2 (e.g. http://idsync-watcher:8788/scim/v2)')
    .optional(),
  timeoutMs: z.number().int().positive().default(30_000),
});
export type ScimDirectoryConfig = z.infer<typeof scimDirectorySchema>;

export function scimBaseUrl(config: ScimDirectoryConfig): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return config.url ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${config.port}/scim/v2`;
}
