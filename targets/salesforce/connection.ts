import { createSign } from 'node:crypto';
import { Connection, type TokenResponse } from 'jsforce';
import Transport from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions } from 'jsforce/lib/types';
import { secretFromEnv } from '../common-config';
import type { SalesforceConfig } from './config';

/**
 * jsforce retries GET/PUT/HEAD/OPTIONS/DELETE by itself on 420/429/5xx and socket errors, up to 5
 * times with 0.5–8 s sleeps (request.js `retryOpts`), invisibly to the caller. Every request goes
 * through `conn._transport.httpRequest(req, options)`, and `options.retry` overrides those defaults,
 * so this transport pins `maxRetries` (and the timeout) for every call the connection makes. With
 * `httpRetries: 0` a failing GET surfaces at once and Temporal's activity retry policy is the only
 * retry layer. POST/PATCH were never retried by jsforce. Token calls use OAuth2's own transport
 * (POST, never retried).
 */
class BoundedRetryTransport extends Transport {
  constructor(
    private readonly maxRetries: number,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}) {
    return super.httpRequest(req, { ...options, timeout: this.timeoutMs, retry: { ...options.retry, maxRetries: this.maxRetries } });
  }
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** RS256 assertion per Salesforce's JWT bearer flow: iss = consumer key, sub = username, aud = login host, exp ≤ 3 min. */
export function signJwtAssertion(clientId: string, username: string, audience: string, privateKeyPem: string, now = Date.now()): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iss: clientId, sub: username, aud: audience, exp: Math.floor(now / 1000) + 180 })}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKeyPem).toString('base64url');
  return `${signingInput}.${signature}`;
}

/**
 * JWT `aud` per Salesforce: https://login.salesforce.com for production orgs (also when logging in
 * through a My Domain host), https://test.salesforce.com for sandboxes. Any other host (an emulator,
 * an Experience Cloud site) is its own audience; `auth.audience` overrides all of this.
 */
export function defaultJwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname.toLowerCase();
  if (host === 'test.salesforce.com' || host.endsWith('.sandbox.my.salesforce.com')) return 'https://test.salesforce.com';
  if (host === 'login.salesforce.com' || host.endsWith('.my.salesforce.com')) return 'https://login.salesforce.com';
  return loginUrl;
}

/**
 * A jsforce Connection that authenticates lazily with the configured grant and re-runs the same
 * grant when a call gets 401 (client-credentials and JWT issue no refresh token, so jsforce's
 * built-in refresher cannot work). Secrets are read from the environment here and kept in this
 * closure only.
 */
export function createSalesforceConnection(targetName: string, config: SalesforceConfig, env: NodeJS.ProcessEnv): { connection: () => Promise<Connection> } {
  const auth = config.auth;
  const clientSecret = auth.flow === 'client_credentials' ? secretFromEnv(env, auth.clientSecretEnv, targetName, 'auth.clientSecretEnv') : undefined;
  const privateKey = auth.flow === 'jwt' ? secretFromEnv(env, auth.privateKeyEnv, targetName, 'auth.privateKeyEnv') : undefined;

  const grant = (conn: Connection): Promise<TokenResponse> => {
    if (auth.flow === 'client_credentials') return conn.oauth2.requestToken({ grant_type: 'client_credentials' });
    const assertion = signJwtAssertion(auth.clientId, auth.username, auth.audience ?? defaultJwtAudience(config.loginUrl), privateKey!);
    return conn.oauth2.requestToken({ grant_type: JWT_GRANT, assertion });
  };

  const conn = new Connection({
    loginUrl: config.loginUrl,
    version: config.apiVersion,
    oauth2: { loginUrl: config.loginUrl, clientId: auth.clientId, ...(clientSecret ? { clientSecret } : {}) },
    refreshFn: (c, callback) => {
      grant(c).then(
        (token) => {
          c._establish({ accessToken: token.access_token, instanceUrl: token.instance_url });
          callback(null, token.access_token, token);
        },
        (err: Error) => callback(err),
      );
    },
  });
  conn._transport = new BoundedRetryTransport(config.httpRetries, config.requestTimeoutMs);

  let ready: Promise<Connection> | undefined;
  return {
    connection: () => {
      ready ??= grant(conn).then(
        (token) => {
          conn._establish({ accessToken: token.access_token, instanceUrl: token.instance_url });
          return conn;
        },
        (err: unknown) => {
          // A failed login must not be cached: the next activity attempt logs in again.
          ready = undefined;
          throw err;
        },
      );
      return ready;
    },
  };
}
