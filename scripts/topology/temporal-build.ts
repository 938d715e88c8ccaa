/**
 * The full, multi-service Temporal server and its SQL schema tool, built once from the Go module proxy
 * into the project (`.tools/temporal/`) and reused while present. GOTOOLCHAIN=auto lets the Go on the
 * machine fetch the toolchain the pinned server needs; GOPATH, the module cache and the build cache
 * stay inside the tool folder, so nothing outside the project is written and the module source (the
 * PostgreSQL schemas) is found at a known place.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../local-services';

export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
const MODULE = 'go.temporal.io/server';
const TOOL_DIR = join(PROJECT_ROOT, '.tools', 'temporal');

export interface TemporalBuild {
  serverBin: string;
  sqlToolBin: string;
  /** The server module's source: schema/postgresql/v12/... and config/ examples. */
  moduleDir: string;
}

function layout(): TemporalBuild {
  return {
    serverBin: join(TOOL_DIR, 'bin', 'server'),
    sqlToolBin: join(TOOL_DIR, 'bin', 'sql'),
    moduleDir: join(TOOL_DIR, 'go', 'pkg', 'mod', MODULE.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`) + `@${TEMPORAL_SERVER_VERSION}`),
  };
}

function isComplete(build: TemporalBuild): boolean {
  const stamp = join(TOOL_DIR, '.version');
  return existsSync(build.serverBin) && existsSync(build.sqlToolBin) && existsSync(build.moduleDir) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === TEMPORAL_SERVER_VERSION;
}

/** Builds what is missing (about 8 minutes the first time on 2 cores), then returns the paths. */
export async function ensureTemporalBuild(log: (line: string) => void = (l) => console.log(l)): Promise<TemporalBuild> {
  const build = layout();
  if (isComplete(build)) return build;
  mkdirSync(TOOL_DIR, { recursive: true });
  const logFile = join(TOOL_DIR, 'build.log');
  const env = {
    ...process.env,
    GOTOOLCHAIN: 'auto',
    GOPATH: join(TOOL_DIR, 'go'),
    GOMODCACHE: join(TOOL_DIR, 'go', 'pkg', 'mod'),
    GOCACHE: join(TOOL_DIR, 'go-build'),
    GOBIN: join(TOOL_DIR, 'bin'),
    // Read-only module files would make `rm -rf .tools` fail.
    GOFLAGS: '-modcacherw',
  };
  for (const pkg of [`${MODULE}/cmd/server`, `${MODULE}/cmd/tools/sql`]) {
    log(`topology: building ${pkg}@${TEMPORAL_SERVER_VERSION} into .tools/temporal (first time only; log in ${logFile})`);
    await goInstall(`${pkg}@${TEMPORAL_SERVER_VERSION}`, env, logFile);
  }
  // Written last: a build interrupted half-way is not taken for a finished one.
  writeFileSync(join(TOOL_DIR, '.version'), `${TEMPORAL_SERVER_VERSION}\n`);
  if (!isComplete(build)) throw new Error(`the Temporal build finished but ${build.serverBin}, ${build.sqlToolBin} or ${build.moduleDir} is missing`);
  return build;
}

function goInstall(target: string, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const out = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['install', target], { env, stdio: ['ignore', out, out] });
    child.once('error', (err) => reject(new Error(`cannot run go (${err.message}); install Go 1.21 or newer (it fetches the toolchain the server needs)`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${target} failed (exit ${code}); see ${logFile}`))));
  });
}
