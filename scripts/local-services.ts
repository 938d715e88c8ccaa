/**
 * Starting and stopping the local processes idsync runs beside itself: the Temporal dev server
 * and a private slapd. Used by the test runner and by `npm start`'s embedded default.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { searchAttributeRegistrations } from '../lib/search-attributes';

const execFileAsync = promisify(execFile);
/** The checkout: one level up from scripts/, two from the compiled dist/scripts/ (`npm run build`). */
export const PROJECT_ROOT = resolve(__dirname, '..', existsSync(join(__dirname, '..', 'package.json')) ? '.' : '..');
export const TOOLS_BIN = join(PROJECT_ROOT, '.tools', 'py', 'bin');

/** The version scripts/versions.env pins (the bootstrap installs exactly this one from PyPI). */
function pinnedTemporalCliVersion(): string {
  const pinned = /TEMPORAL_CLI_VERSION=(\S+)/.exec(readFileSync(join(PROJECT_ROOT, 'scripts', 'versions.env'), 'utf8'))?.[1];
  if (!pinned) throw new Error('scripts/versions.env does not pin TEMPORAL_CLI_VERSION');
  return pinned;
}

export function temporalCliPath(): string {
  return join(TOOLS_BIN, 'temporal');
}
export function temporalTestServerPath(): string {
  return join(TOOLS_BIN, 'temporal-test-server');
}

/** A free TCP port on loopback (the OS picks; the tiny race before use is acceptable for local services). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  port?: number;
  uiPort?: number;
  /** Persistent SQLite file; absent = in-memory (tests). */
  dbFile?: string;
  headless?: boolean;
  logFile: string;
  /** Start-up budget; the dev server needs 2–8 s on a busy 2-core machine. */
  timeoutMs?: number;
  /** Extra namespaces to create at launch (besides "default"), each with idsync's search attributes. */
  namespaces?: string[];
  /** The codec server the Web UI decodes payloads through (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
}

/** Starts `temporal server start-dev` with idsync's search attributes and waits until gRPC answers. */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const cli = temporalCliPath();
  if (!existsSync(cli)) return startDownloadedDevServer(opts);
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  let uiUrl: string | undefined;
  if (opts.headless) args.push('--headless');
  else {
    const uiPort = opts.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
    if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
    uiUrl = `http://127.0.0.1:${uiPort}`;
  }
  args.push(...idsyncServerArgs(opts.namespaces));
  // One partition per task queue: the server enforces a queue's rate limit per partition (split
  // evenly), so with the default four a target read one page at a time got about half its allowed
  // rate. A single-node dev server gains nothing from more partitions.
  args.push('--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1', '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1');
  const log = openSync(opts.logFile, 'a');
  const child = spawn(cli, args, { stdio: ['ignore', log, log], detached: false });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the Temporal dev server exited during start-up; see ${opts.logFile}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the Temporal dev server did not answer on ${address} in time; see ${opts.logFile}`);
      }
      await sleep(250);
    }
  }
  return { address, uiUrl, stop: () => stopChild(child) };
}

/** The dev server's flags for idsync: search attributes and extra namespaces. */
function idsyncServerArgs(namespaces: string[] = []): string[] {
  const args: string[] = [];
  for (const registration of searchAttributeRegistrations()) args.push('--search-attribute', registration);
  for (const ns of namespaces) args.push('--namespace', ns);
  return args;
}

/**
 * Fallback where pip could not install the pinned CLI (scripts/bootstrap.sh says so): the Temporal SDK
 * downloads the same CLI version itself. Needs internet; its start-up budget is the SDK's (5 s).
 */
async function startDownloadedDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort()));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download', version: `v${pinnedTemporalCliVersion()}` },
      ip: '127.0.0.1',
      port,
      ui: !opts.headless,
      uiPort,
      dbFilename: opts.dbFile,
      extraArgs: [...idsyncServerArgs(opts.namespaces), ...(opts.uiCodecEndpoint && !opts.headless ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : [])],
    },
  });
  return { address: `127.0.0.1:${port}`, uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined, stop: () => env.teardown() };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export interface LocalSlapd {
  url: string;
  port: number;
  /** ldaps://127.0.0.1:<ldapsPort>, when TLS with an ldaps port was asked for. */
  ldapsUrl?: string;
  dataDir: string;
  suffix: string;
  bindDn: string;
  bindPassword: string;
  stop(): Promise<void>;
}

/**
 * Starts (creating on first use) a private slapd under dataDir via scripts/slapd.sh. With `tls`, the plain
 * listener also offers StartTLS and `ldapsPort` adds an LDAPS listener; the files must be PEM, readable by
 * this user (slapd runs as it).
 */
export async function startSlapd(opts: {
  dataDir: string;
  port?: number;
  suffix?: string;
  rootPassword: string;
  tls?: { certFile: string; keyFile: string; caFile?: string; ldapsPort?: number };
}): Promise<LocalSlapd> {
  const port = opts.port ?? (await freePort());
  const suffix = opts.suffix ?? 'dc=example,dc=com';
  mkdirSync(opts.dataDir, { recursive: true });
  const script = join(PROJECT_ROOT, 'scripts', 'slapd.sh');
  const env: NodeJS.ProcessEnv = { ...process.env, LDAP_SUFFIX: suffix, LDAP_ROOTPW: opts.rootPassword };
  // Only the option decides about TLS, never variables that happen to be set in the caller's shell.
  for (const name of ['LDAP_TLS_CERT', 'LDAP_TLS_KEY', 'LDAP_TLS_CA', 'LDAP_TLS_PORT']) delete env[name];
  const tls = opts.tls;
  if (tls) {
    Object.assign(env, { LDAP_TLS_CERT: tls.certFile, LDAP_TLS_KEY: tls.keyFile });
    if (tls.caFile) env.LDAP_TLS_CA = tls.caFile;
    if (tls.ldapsPort !== undefined) env.LDAP_TLS_PORT = String(tls.ldapsPort);
  }
  try {
    await execFileAsync('bash', [script, 'start', opts.dataDir, String(port)], { env });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`could not start slapd: ${(e.stderr || e.message).trim()}`);
  }
  return {
    url: `ldap://127.0.0.1:${port}`,
    port,
    ldapsUrl: tls?.ldapsPort !== undefined ? `ldaps://127.0.0.1:${tls.ldapsPort}` : undefined,
    dataDir: opts.dataDir,
    suffix,
    bindDn: `cn=admin,${suffix}`,
    bindPassword: opts.rootPassword,
    stop: async () => {
      await execFileAsync('bash', [script, 'stop', opts.dataDir]).catch(() => undefined);
    },
  };
}
