import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError } from 'ldapts';
import type { LdapDirectoryConfig } from '../config';
import { nonRetryable, retryable } from '../../lib/errors';

function tlsOptions(config: LdapDirectoryConfig): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: config.tls.rejectUnauthorized };
  if (config.tls.caFile) options.ca = [readFileSync(config.tls.caFile)];
  if (config.tls.serverName) options.servername = config.tls.serverName;
  return options;
}

/** The bind password, read from the environment variable the config names (never from the config itself). */
export function bindPassword(config: LdapDirectoryConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (!config.bindPasswordEnv) return undefined;
  const value = env[config.bindPasswordEnv];
  if (!value) {
    throw nonRetryable('ConfigError', `environment variable ${config.bindPasswordEnv} (directory bind password) is not set`, {
      target: 'directory',
      field: 'directory.bindPasswordEnv',
    });
  }
  return value;
}

/** Opens a connection (LDAPS or StartTLS when configured) and binds; errors never carry the password. */
export async function openLdapClient(config: LdapDirectoryConfig, env: NodeJS.ProcessEnv): Promise<Client> {
  const password = bindPassword(config, env);
  const secure = config.url.startsWith('ldaps://');
  const client = new Client({
    url: config.url,
    timeout: config.timeoutMs,
    connectTimeout: Math.min(config.timeoutMs, 10_000),
    tlsOptions: secure ? tlsOptions(config) : undefined,
    // A transparently re-opened connection must not silently continue as anonymous (ACLs would
    // hide people and look like mass deletions). ldapts does not replay binds after StartTLS, so
    // that case reconnects through the source instead.
    autoRebind: !config.tls.startTls,
  });
  try {
    if (config.tls.startTls && !secure) await client.startTLS(tlsOptions(config));
    if (config.bindDn) await client.bind(config.bindDn, password ?? '');
    return client;
  } catch (err) {
    await client.unbind().catch(() => undefined);
    if (err instanceof InvalidCredentialsError) {
      throw nonRetryable('PermissionDenied', `directory bind as ${config.bindDn} was refused (invalid credentials)`, {
        target: 'directory',
        field: 'directory.bindDn',
      });
    }
    throw retryable('DirectoryUnavailable', `cannot reach or bind to the directory at ${config.url}: ${(err as Error).message}`, {
      target: 'directory',
    });
  }
}
