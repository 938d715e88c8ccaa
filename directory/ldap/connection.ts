import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { ApplicationFailure } from '@temporalio/common';
import { Client, InvalidCredentialsError } from 'ldapts';
import type { LdapDirectoryConfig } from '../config';
import { nonRetryable, retryable } from '../../lib/errors';

/** Host, port and transport of an ldap:// or ldaps:// URL, resolved the way ldapts resolves them. */
export function parseLdapUrl(url: string): { host: string; port: number; secure: boolean } {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const secure = parsed?.protocol === 'ldaps:';
  if (!parsed || (!secure && parsed.protocol !== 'ldap:')) {
    throw nonRetryable('ConfigError', `directory URL ${url} is not an ldap:// or ldaps:// URL`, { target: 'directory', field: 'directory.url' });
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port ? Number(parsed.port) : secure ? 636 : 389;
  return { host, port, secure };
}

/**
 * TLS options for a connection to `host` (the URL's host), usable both for `tls.connect({ host, port, ...opts })`
 * and for upgrading a plain socket with StartTLS, `tls.connect({ socket, ...opts })`. The certificate must name
 * tls.serverName when configured, else `host`. Node on its own would check an upgraded socket that was dialled
 * by IP address against 'localhost', so the name to check is fixed here instead of left to Node's fallbacks.
 */
export function tlsConnectOptions(config: LdapDirectoryConfig, host: string): ConnectionOptions {
  const expectedName = config.tls.serverName ?? host;
  const options: ConnectionOptions = {
    host,
    rejectUnauthorized: config.tls.rejectUnauthorized,
    checkServerIdentity: (_name, certificate) => checkServerIdentity(expectedName, certificate),
  };
  // SNI carries host names only (RFC 6066); an address is still checked against the certificate's IP names.
  if (!isIP(expectedName)) options.servername = expectedName;
  if (config.tls.caFile) options.ca = [readCaFile(config.tls.caFile)];
  return options;
}

function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw nonRetryable('ConfigError', `cannot read the directory CA file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      target: 'directory',
      field: 'directory.tls.caFile',
    });
  }
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
  const { host, secure } = parseLdapUrl(config.url);
  const startTls = config.tls.startTls && !secure;
  const tlsOptions = secure || startTls ? tlsConnectOptions(config, host) : undefined;
  const client = new Client({
    url: config.url,
    timeout: config.timeoutMs,
    connectTimeout: Math.min(config.timeoutMs, 10_000),
    // Only for ldaps://: ldapts opens TLS from the first byte whenever it is given any TLS option.
    tlsOptions: secure ? tlsOptions : undefined,
    // A transparently re-opened connection must not silently continue as anonymous (ACLs would
    // hide people and look like mass deletions). ldapts does not replay binds after StartTLS, so
    // that case reconnects through the source instead.
    autoRebind: !config.tls.startTls,
  });
  try {
    // A copy: ldapts stores the plain socket into the options it is given.
    if (startTls) await client.startTLS({ ...tlsOptions });
    if (config.bindDn) await client.bind(config.bindDn, password ?? '');
    return client;
  } catch (err) {
    await client.unbind().catch(() => undefined);
    throw connectFailure(err, config);
  }
}

/** A failed connect, TLS handshake or bind, classified the same for every connection a source opens. */
export function connectFailure(err: unknown, config: LdapDirectoryConfig): Error {
  // Already classified (an unreadable CA file is a config error, not a reason to retry).
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof InvalidCredentialsError) {
    return nonRetryable('PermissionDenied', `directory bind as ${config.bindDn} was refused (invalid credentials)`, {
      target: 'directory',
      field: 'directory.bindDn',
    });
  }
  return retryable('DirectoryUnavailable', `cannot reach or bind to the directory at ${config.url}: ${(err as Error).message}`, {
    target: 'directory',
  });
}
