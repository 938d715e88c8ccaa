/**
 * Running an emulator in its own Node process (scimmy keeps global state, so every differently
 * configured SP needs a process of its own) and talking to it over its admin endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EMULATOR_ADMIN_PREFIX, type FaultSettings, type FaultKind } from '../faults';

const READY_PREFIX = 'EMULATOR_READY ';
/** The checkout: two levels up from emulators/scim/, three from the compiled dist/emulators/scim/. */
const PROJECT_ROOT = resolve(__dirname, '..', '..', existsSync(resolve(__dirname, '..', '..', 'package.json')) ? '.' : '..');

/**
 * Child side: announce the port on stdout, and exit when asked or when a spawning parent goes away
 * (IPC closes). `beforeExit` runs once the server has stopped (or after 2 s): the last state write.
 */
export function announceAndServe(server: Server, beforeExit: () => void = () => undefined): void {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ port })}\n`);
  const exit = () => {
    try {
      beforeExit();
    } catch (err) {
      console.error(`emulator: on exit: ${(err as Error).message}`);
      process.exit(1);
    }
    process.exit(0);
  };
  const shutdown = () => {
    server.close(exit);
    server.closeAllConnections();
    setTimeout(exit, 2000).unref();
  };
  if (process.send) process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** Reads `--name value` pairs from argv. */
export function cliArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i].startsWith('--') && i + 1 < argv.length) {
      args.set(argv[i].slice(2), argv[i + 1]);
      i += 1;
    }
  }
  return args;
}

/**
 * The seed a main was given: `--seed-json '{...}'`, or `--seed <file.yaml|json>` holding either the
 * seed itself or the whole demo catalog (then its `section` is used), else the default.
 */
export function seedArgument(args: Map<string, string>, section: string, fallback: unknown): unknown {
  if (args.has('seed-json')) return JSON.parse(args.get('seed-json')!);
  const file = args.get('seed');
  if (!file) return fallback;
  const parsed = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  return parsed && typeof parsed === 'object' && section in parsed ? parsed[section] : parsed;
}

export interface FaultReport {
  settings: FaultSettings;
  injected: Record<FaultKind, number>;
}

export interface EmulatorProcess {
  /** http://127.0.0.1:<port> */
  origin: string;
  child: ChildProcess;
  admin<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * Parent side: start `main` (a .ts file) under the pinned Node with tsx and wait for its ready line.
 * Run from the compiled dist/ (`npm run build`), only the compiled main.js is there: it runs without tsx.
 */
export async function spawnEmulator(main: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<EmulatorProcess> {
  const compiled = main.replace(/\.ts$/, '.js');
  const entry = !existsSync(main) && existsSync(compiled) ? [resolve(compiled)] : ['--import', 'tsx', resolve(main)];
  const child = spawn(process.execPath, [...entry, ...args], {
    // tsx is resolved from the working directory: run from the project root whoever the caller is.
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulator ${main} did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (line) {
        clearTimeout(timer);
        resolvePort((JSON.parse(line.slice(READY_PREFIX.length)) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator ${main} exited with ${code} during start-up: ${stderr}`));
    });
  });
  child.stdout!.resume();
  const origin = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  return {
    origin,
    child,
    async admin<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${origin}${EMULATOR_ADMIN_PREFIX}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`emulator admin ${method} ${path} answered ${res.status}`);
      return (await res.json()) as T;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
