import type { DirectoryConfig } from './config';
import type { DirectorySource } from './source';
import { LdapDirectorySource } from './ldap/source';
import { OtdsDirectorySource } from './otds/source';
import { ScimDirectorySource } from '../inbound/scim/directory-source';

export type { DirectorySource, DirectoryChanges } from './source';

/** The configured directory; nothing connects until the first call. Secrets are read from `env` by name. */
export function createDirectorySource(config: DirectoryConfig, env: NodeJS.ProcessEnv = process.env): DirectorySource {
  if (config.kind === 'scim') return new ScimDirectorySource(config, env);
  return config.kind === 'ldap' ? new LdapDirectorySource(config, env) : new OtdsDirectorySource(config, env);
}
