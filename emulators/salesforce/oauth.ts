import { createHmac, createVerify, randomBytes } from 'node:crypto';

/**
 * The OAuth token endpoint: client_credentials, JWT bearer and username-password grants, issuing
 * opaque tokens that expire after `tokenTtlMs` and no refresh tokens (none of these flows get one). Errors use the OAuth shape `{error, error_description}` with HTTP 400.
 */
export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  /** PEM public key: when set, JWT assertions from this client must carry a valid RS256 signature. */
  publicKey?: string;
}

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string;
  exp?: number;
}

/** Pluggable signature check; the default verifies RS256 when the client has a public key. */
export type JwtVerifier = (signingInput: string, signature: Buffer, client: EmulatorClient) => boolean;

export interface OAuthOptions {
  clients: EmulatorClient[];
  tokenTtlMs: number;
  orgId: string;
  /** Id of the user the client-credentials flow runs as (a synthetic integration user). */
  runAsUserId: string;
  /** Resolves a JWT `sub` (username) to an active user id, or undefined. */
  userIdForUsername(username: string): string | undefined;
  /** Username–password flow: the active user's id when the password (+ security token) is right. */
  checkPassword(username: string, password: string): string | undefined;
  jwtVerifier?: JwtVerifier;
}

interface IssuedToken {
  userId: string;
  expiresAt: number;
}

type TokenReply = { status: number; body: Record<string, unknown> };

const oauthError = (error: string, description: string, status = 400): TokenReply => ({ status, body: { error, error_description: description } });

export const defaultJwtVerifier: JwtVerifier = (signingInput, signature, client) => {
  if (!client.publicKey) return true;
  return createVerify('RSA-SHA256').update(signingInput).verify(client.publicKey, signature);
};

export class OAuthServer {
  private readonly tokens = new Map<string, IssuedToken>();
  /** Grants served, so tests can see a refresh happened. */
  grants = 0;

  constructor(private readonly options: OAuthOptions) {}

  /** Returns the user id the token belongs to, or undefined when unknown/expired. */
  authenticate(accessToken: string | undefined): string | undefined {
    if (!accessToken) return undefined;
    const issued = this.tokens.get(accessToken);
    if (!issued || issued.expiresAt <= Date.now()) return undefined;
    return issued.userId;
  }

  /** Makes every issued token invalid at once (what a session timeout or admin reset does). */
  expireAll(): void {
    this.tokens.clear();
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  handle(form: URLSearchParams, baseUrl: string): TokenReply {
    const grantType = form.get('grant_type');
    if (grantType === 'client_credentials') return this.clientCredentials(form, baseUrl);
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.jwtBearer(form, baseUrl);
    if (grantType === 'password') return this.password(form, baseUrl);
    return oauthError('unsupported_grant_type', 'grant type not supported');
  }

  private clientCredentials(form: URLSearchParams, baseUrl: string): TokenReply {
    const client = this.options.clients.find((c) => c.clientId === form.get('client_id'));
    if (!client) return oauthError('invalid_client_id', 'client identifier invalid');
    if (client.clientSecret !== form.get('client_secret')) return oauthError('invalid_client', 'invalid client credentials');
    return this.issue(this.options.runAsUserId, baseUrl);
  }

  private password(form: URLSearchParams, baseUrl: string): TokenReply {
    const client = this.options.clients.find((c) => c.clientId === form.get('client_id'));
    if (!client) return oauthError('invalid_client_id', 'client identifier invalid');
    if (client.clientSecret !== form.get('client_secret')) return oauthError('invalid_client', 'invalid client credentials');
    const userId = this.options.checkPassword(form.get('username') ?? '', form.get('password') ?? '');
    if (!userId) return oauthError('invalid_grant', 'authentication failure');
    // Like Salesforce: the username-password flow issues no refresh token (neither do client credentials and JWT).
    return this.issue(userId, baseUrl);
  }

  private jwtBearer(form: URLSearchParams, baseUrl: string): TokenReply {
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError('invalid_grant', 'invalid assertion');
    let header: { alg?: string };
    let claims: JwtClaims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return oauthError('invalid_grant', 'invalid assertion');
    }
    if (header.alg !== 'RS256') return oauthError('invalid_grant', 'invalid assertion: algorithm must be RS256');
    const client = this.options.clients.find((c) => c.clientId === claims.iss);
    if (!client) return oauthError('invalid_client_id', 'client identifier invalid');
    const verify = this.options.jwtVerifier ?? defaultJwtVerifier;
    if (!verify(`${parts[0]}.${parts[1]}`, Buffer.from(parts[2], 'base64url'), client)) return oauthError('invalid_grant', 'invalid assertion: signature invalid');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return oauthError('invalid_grant', 'expired authorization code');
    if (!claims.aud || !/^https?:\/\//.test(claims.aud)) return oauthError('invalid_grant', 'audience is invalid');
    const userId = claims.sub ? this.options.userIdForUsername(claims.sub) : undefined;
    if (!userId) return oauthError('invalid_grant', "user hasn't approved this consumer");
    return this.issue(userId, baseUrl);
  }

  private issue(userId: string, baseUrl: string): TokenReply {
    this.grants += 1;
    const accessToken = `${this.options.orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { userId, expiresAt: Date.now() + this.options.tokenTtlMs });
    const issuedAt = String(Date.now());
    const id = `${baseUrl}/id/${this.options.orgId}/${userId}`;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        instance_url: baseUrl,
        id,
        token_type: 'Bearer',
        issued_at: issuedAt,
        signature: createHmac('sha256', this.options.orgId).update(id + issuedAt).digest('base64'),
        scope: 'api',
        token_format: 'opaque',
      },
    };
  }
}
