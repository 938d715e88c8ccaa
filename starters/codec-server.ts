/**
 * The codec server: Temporal's remote codec protocol over HTTP, so the Temporal UI and the `temporal`
 * CLI show decrypted payloads to operators who may see them.
 *   POST /decode, POST /encode   body {"payloads": [{"metadata": {k: base64}, "data": base64}]}, same answer shape
 *
 * Access: the token from `encryption.codecServer.tokenEnv`, either as `Authorization: Bearer <token>`
 * (temporal CLI `--codec-auth`, scripts) or as the endpoint's first path segment,
 * `http://host:port/<token>` -> `/<token>/decode`, for the Temporal UI, which cannot add a header of
 * its own (the dev server's `--ui-codec-endpoint`, the UI image's TEMPORAL_CODEC_ENDPOINT). Browsers
 * may call it only from `corsOrigins` (default: the origin of temporal.uiUrl). Nothing about a request
 * is logged.
 *
 * Production: `node --import tsx starters/codec-server.ts --config /etc/idsync/idsync.yaml`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { AesGcmCodec, type Keyring } from '../lib/encryption-codec';
import type { IdsyncConfig } from '../app/config';
import { EncryptionSetupError, loadKeyring, type CodecServerConfig } from '../app/encryption';
import { EXIT, flag, loadConfigOrExit, onShutdownSignal } from '../app/startup';
import { HttpError, readBoundedBody, sendJson } from './intake-http';

/** A history page can carry many payloads of up to 2 MB each. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

export interface CodecServerOptions {
  keyring: Keyring;
  token: string;
  host?: string;
  port?: number;
  corsOrigins: readonly string[];
}

export interface CodecServer {
  /** http://host:port, for `temporal --codec-endpoint` with `--codec-auth "Bearer <token>"`. */
  url: string;
  /** The endpoint with the token as its path, for the Temporal UI (a secret: never print it). */
  uiEndpoint: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function sameToken(given: string | undefined, expected: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expected);
}

function fromJson(raw: unknown, index: number): Payload {
  const payload = raw as JsonPayload | null;
  const isBase64Map = (m: unknown) => m === undefined || m === null || (typeof m === 'object' && Object.values(m as object).every((v) => typeof v === 'string'));
  if (!payload || typeof payload !== 'object' || !isBase64Map(payload.metadata) || (payload.data !== undefined && payload.data !== null && typeof payload.data !== 'string')) {
    throw new HttpError(400, { error: `payloads[${index}]: expected {"metadata": {name: base64}, "data": base64}` });
  }
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(payload.data ?? '', 'base64')),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

/** The route and whether the request carried the token (header or path); null for an unknown path. */
function route(req: IncomingMessage, token: Buffer): { operation: 'encode' | 'decode'; authorized: boolean } | null {
  const path = new URL(req.url ?? '/', 'http://codec').pathname;
  const match = /^(?:\/([^/]+))?\/(encode|decode)\/?$/.exec(path);
  if (!match) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const inPath = match[1] !== undefined ? decodeURIComponent(match[1]) : undefined;
  return { operation: match[2] as 'encode' | 'decode', authorized: sameToken(bearer, token) || sameToken(inPath, token) };
}

async function handle(req: IncomingMessage, res: ServerResponse, codec: AesGcmCodec, token: Buffer, origins: ReadonlySet<string>): Promise<void> {
  const origin = req.headers.origin;
  const cors: Record<string, string> = {};
  if (origin !== undefined) {
    if (!origins.has(origin)) throw new HttpError(403, { error: 'this origin may not call the codec server (encryption.codecServer.corsOrigins)' });
    Object.assign(cors, { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' });
  }
  const found = route(req, token);
  if (!found) throw new HttpError(404, { error: 'not found: POST /decode or /encode' }, cors);
  if (req.method === 'OPTIONS') {
    // A preflight never carries credentials: it only learns what the real request may send.
    res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': '600' });
    res.end();
    return;
  }
  if (req.method !== 'POST') throw new HttpError(405, { error: 'use POST' }, { ...cors, allow: 'POST, OPTIONS' });
  if (!found.authorized) throw new HttpError(401, { error: 'missing or wrong codec token (Authorization: Bearer <token>, or the endpoint /<token>)' }, { ...cors, 'www-authenticate': 'Bearer' });
  const body = await readBoundedBody(req, MAX_BODY_BYTES);
  if (body.tooLarge) throw new HttpError(413, { error: `body over ${MAX_BODY_BYTES} bytes` }, cors);
  let parsed: { payloads?: unknown };
  try {
    parsed = JSON.parse(body.text) as { payloads?: unknown };
  } catch {
    throw new HttpError(400, { error: 'body is not JSON' }, cors);
  }
  // Proto JSON leaves an empty list out: the temporal CLI sends {} for a query without arguments.
  const list = parsed && typeof parsed === 'object' ? (parsed.payloads ?? []) : undefined;
  if (!Array.isArray(list)) throw new HttpError(400, { error: 'expected {"payloads": [...]}' }, cors);
  const payloads = list.map(fromJson);
  let result: Payload[];
  try {
    result = found.operation === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
  } catch (err) {
    // The codec's messages name key ids only, never key material or payload contents.
    throw new HttpError(422, { error: (err as Error).message }, cors);
  }
  sendJson(res, 200, { payloads: result.map(toJson) }, cors);
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  if (opts.token.length < 16) throw new EncryptionSetupError('encryption.codecServer.tokenEnv: the token must be at least 16 characters');
  const codec = new AesGcmCodec(opts.keyring);
  const token = digest(opts.token);
  const origins = new Set(opts.corsOrigins.map((o) => new URL(o).origin));
  const server = createServer((req, res) => {
    handle(req, res, codec, token, origins).catch((err) => {
      if (err instanceof HttpError) sendJson(res, err.status, err.body, err.headers);
      else sendJson(res, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 60_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    uiEndpoint: `${url}/${encodeURIComponent(opts.token)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The codec server a config describes: its keys, its token from the environment, its allowed origins. */
export function codecServerOptions(config: IdsyncConfig, env: NodeJS.ProcessEnv = process.env): CodecServerOptions {
  const section = config.encryption;
  const server: CodecServerConfig | undefined = section?.codecServer;
  if (!section || section.mode === 'off' || !server) {
    throw new EncryptionSetupError('encryption.codecServer: not configured (it needs encryption keys and encryption.codecServer.tokenEnv)');
  }
  const token = env[server.tokenEnv] ?? '';
  if (!token) throw new EncryptionSetupError(`encryption.codecServer.tokenEnv (${server.tokenEnv}): the environment variable is not set or empty`);
  const uiOrigin = config.temporal.uiUrl ? [new URL(config.temporal.uiUrl).origin] : [];
  return { keyring: loadKeyring(section, env), token, host: server.host, port: server.port, corsOrigins: server.corsOrigins ?? uiOrigin };
}

if (require.main === module) {
  const configPath = flag(process.argv.slice(2), 'config') ?? process.env.IDSYNC_CONFIG;
  if (!configPath) {
    console.error('idsync codec server: give --config <file> or set IDSYNC_CONFIG');
    process.exit(EXIT.usage);
  }
  const config = loadConfigOrExit(configPath);
  Promise.resolve()
    .then(() => startCodecServer(codecServerOptions(config)))
    .then((server) => {
      console.log(`idsync codec server: listening on ${server.url} (POST /decode, /encode)`);
      onShutdownSignal(() => server.close());
    })
    .catch((err) => {
      console.error(`idsync codec server: ${(err as Error).message}`);
      process.exit(err instanceof EncryptionSetupError ? EXIT.usage : EXIT.failure);
    });
}
