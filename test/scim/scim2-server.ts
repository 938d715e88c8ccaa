/**
 * scim2-server (PyPI, pinned by scripts/scim-requirements.txt) as a third-party SCIM service provider
 * for tests: nobody on this project wrote it, so idsync agreeing with it means more than idsync
 * agreeing with its own emulator. One process on a free loopback port, bearer token required, and
 * optionally several tenants (each its own empty store under /<tenant>/v2). It is stopped by
 * `close()` and, should the test process die first, by an exit hook: no server outlives its test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../support/poll';

const PROJECT_ROOT = join(__dirname, '..', '..');

/** Why these tests cannot run here, or null. Only a missing python3 is a reason to skip. */
export function scim2ServerSkipReason(): string | null {
  const probe = spawnSync('python3', ['--version'], { stdio: 'ignore' });
  return probe.error || probe.status !== 0 ? 'python3 is missing: the tests against scim2-server (an independent SCIM service provider from PyPI) need python3 with venv and pip' : null;
}

/** The venv's bin directory (created once by scripts/scim-venv.sh); any failure there fails the test. */
function scimVenvBin(): string {
  const run = spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'scim-venv.sh')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`scripts/scim-venv.sh failed (exit ${run.status}): ${run.stderr.trim()}`);
  return run.stdout.trim().split('\n').at(-1)!;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Scim2Server {
  /** Base URL of the service provider (of the first tenant, when there are tenants). */
  url: string;
  /** Base URL per tenant. */
  tenants: Record<string, string>;
  token: string;
  /** An authenticated request to the server, bypassing idsync: the server's own view. */
  fetch(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, any> | undefined }>;
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function stop(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function launch(bin: string, token: string, extraArgs: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const args = ['--hostname', '127.0.0.1', '--port', String(port), '--bearer-token', token, ...extraArgs];
  const child = spawn(join(bin, 'scim2-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  // Kept only for a failure message; the token is on the command line, never in the server's output.
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  return { child, port, output: () => output };
}

export interface Scim2ServerOptions {
  /** Tenants, each served under /<tenant>/v2 with its own resources. */
  tenants?: string[];
  /** A ServiceProviderConfig to announce (and obey) instead of the default "everything supported". */
  serviceProviderConfig?: Record<string, unknown>;
}

/** Starts scim2-server and waits until it answers an authenticated request. */
export async function startScim2Server(options: Scim2ServerOptions = {}): Promise<Scim2Server> {
  const bin = scimVenvBin();
  const token = randomBytes(16).toString('hex');
  const tenants = options.tenants ?? [];
  const extraArgs = tenants.flatMap((t) => ['--tenant', t]);
  let configDir: string | undefined;
  if (options.serviceProviderConfig) {
    configDir = mkdtempSync(join(tmpdir(), 'idsync-scim2-'));
    const file = join(configDir, 'service-provider-config.json');
    writeFileSync(file, JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], ...options.serviceProviderConfig }));
    extraArgs.push('--service-provider-config', file);
  }
  const removeConfig = () => configDir && rmSync(configDir, { recursive: true, force: true });
  const probePath = `${tenants[0] ? `/${tenants[0]}` : ''}/v2/ServiceProviderConfig`;
  // A free port can be taken between finding it and the server binding it: then try another.
  for (let attempt = 1; ; attempt += 1) {
    const { child, port, output } = await launch(bin, token, extraArgs);
    const origin = `http://127.0.0.1:${port}`;
    try {
      await pollUntil(
        'scim2-server to answer',
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`scim2-server exited (${child.exitCode ?? child.signalCode}): ${output().trim()}`);
          const res = await fetch(`${origin}${probePath}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (err) {
      await stop(child);
      if (attempt < 3 && /Address already in use/i.test(output())) continue;
      removeConfig();
      throw err;
    }
    const tenantUrls = Object.fromEntries(tenants.map((t) => [t, `${origin}/${t}/v2`]));
    return {
      url: tenants[0] ? tenantUrls[tenants[0]]! : `${origin}/v2`,
      tenants: tenantUrls,
      token,
      async fetch(method, url, body, headers = {}) {
        const res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
      },
      close: async () => {
        await stop(child);
        removeConfig();
      },
    };
  }
}
