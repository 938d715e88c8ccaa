/**
 * `npm test`: starts one real Temporal dev server and one real slapd on free loopback ports, runs
 * node's test runner over test/ with their addresses in the environment, and always tears both
 * down (also on failure, Ctrl-C or SIGTERM). Arguments narrow the run: `npm test -- test/hubspot`.
 * The topology test (test/topology, a whole Temporal cluster) runs as a second step when selected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureTemporalBuild } from './topology/temporal-build';
import { TOPOLOGY_STEP_ENV, TOPOLOGY_TESTS_DIR } from './topology/test-step';
import { PROJECT_ROOT, startTemporalDevServer, startSlapd, stopChild, temporalTestServerPath, type TemporalDevServer, type LocalSlapd } from './local-services';

/** The end-to-end tests run idsync's real worker set-up (fixed task-queue names) in a namespace of their own. */
const E2E_NAMESPACE = 'idsync-e2e';

async function main(): Promise<number> {
  const runDir = join(PROJECT_ROOT, '.test-run', String(process.pid));
  mkdirSync(runDir, { recursive: true });
  let temporal: TemporalDevServer | undefined;
  let slapd: LocalSlapd | undefined;
  let tests: ChildProcess | undefined;
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    if (tests) await stopChild(tests, 3000).catch(() => undefined);
    await Promise.allSettled([temporal?.stop(), slapd?.stop()]);
    if (!process.env.IDSYNC_KEEP_TEST_RUN) rmSync(runDir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      void cleanup().then(() => process.exit(130));
    });
  }
  try {
    const started = Date.now();
    [temporal, slapd] = await Promise.all([
      startTemporalDevServer({ headless: true, logFile: join(runDir, 'temporal.log'), namespaces: [E2E_NAMESPACE] }),
      startSlapd({ dataDir: join(runDir, 'ldap'), rootPassword: randomBytes(12).toString('hex') }),
    ]);
    console.log(`test-env: temporal ${temporal.address}, slapd ${slapd.url} (ready in ${Date.now() - started} ms)`);
    const patterns = process.argv.slice(2).map(expand);
    const env = {
      ...process.env,
      IDSYNC_TEST_RUN_DIR: runDir,
      IDSYNC_TEST_TEMPORAL_ADDRESS: temporal.address,
      IDSYNC_TEST_E2E_NAMESPACE: E2E_NAMESPACE,
      IDSYNC_TEST_TEMPORAL_TEST_SERVER: temporalTestServerPath(),
      IDSYNC_TEST_LDAP_URL: slapd.url,
      IDSYNC_TEST_LDAP_SUFFIX: slapd.suffix,
      IDSYNC_TEST_LDAP_BIND_DN: slapd.bindDn,
      IDSYNC_TEST_LDAP_PASSWORD: slapd.bindPassword,
      IDSYNC_TEST_LDAP_DATA_DIR: slapd.dataDir,
      // jsforce routes even loopback traffic through these; tests only talk to loopback.
      http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '',
    };
    const runStep = async (files: string[], timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<number> => {
      const concurrency = process.env.IDSYNC_TEST_CONCURRENCY ?? '2';
      // Its own process group, so anything a test leaves running can be found (and stopped) afterwards.
      tests = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...files], {
        cwd: PROJECT_ROOT,
        env: { ...env, ...extraEnv },
        stdio: 'inherit',
        detached: true,
      });
      const code: number = await new Promise((r) => tests!.once('exit', (c, s) => r(c ?? (s ? 1 : 0))));
      const leftovers = await reapProcessGroup(tests.pid!);
      // Daemons (a slapd a test started) leave the process group; they are recognised by the run dir in their command line.
      const newListeners = listenersOwnedBy((cmdline) => cmdline.includes(runDir)).filter((l) => l.port !== slapd!.port);
      for (const l of newListeners) process.kill(l.pid, 'SIGKILL');
      if (leftovers.length > 0) console.error(`test-env: FAIL: tests left processes running (now killed): ${leftovers.join('; ')}`);
      if (newListeners.length > 0) console.error(`test-env: FAIL: tests left ports listening (now killed): ${newListeners.map((l) => `${l.port} (${l.cmdline})`).join('; ')}`);
      return leftovers.length > 0 || newListeners.length > 0 ? code || 1 : code;
    };
    // The topology test (a whole Temporal cluster, minutes long) is a step of its own after the rest, with
    // its own time limit; the Temporal server it runs is built before it, outside that limit.
    const isTopology = (pattern: string) => pattern.includes(TOPOLOGY_TESTS_DIR);
    let code = 0;
    if (patterns.length === 0 || !patterns.every(isTopology)) code = await runStep(patterns.length > 0 ? patterns : ['test/**/*.test.ts'], 600_000);
    if (patterns.length === 0 || patterns.some(isTopology)) {
      await ensureTemporalBuild();
      code = (await runStep([`${TOPOLOGY_TESTS_DIR}/**/*.test.ts`], 3_600_000, { [TOPOLOGY_STEP_ENV]: '1' })) || code;
    }
    return code;
  } catch (err) {
    console.error(`idsync test: ${(err as Error).message}`);
    const log = join(runDir, 'temporal.log');
    if (existsSync(log)) console.error(readFileSync(log, 'utf8').slice(-2000));
    return 1;
  } finally {
    await cleanup();
  }
}

/** Listening TCP sockets whose owning process's command line matches, via /proc (no external tools). */
function listenersOwnedBy(match: (cmdline: string) => boolean): { port: number; pid: number; cmdline: string }[] {
  const portByInode = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') portByInode.set(cols[9]!, parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  const found: { port: number; pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!match(cmdline)) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        const port = inode ? portByInode.get(inode) : undefined;
        if (port !== undefined) found.push({ port, pid: Number(entry), cmdline: cmdline.slice(0, 120) });
      }
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}

/** Kills whatever is still alive in the test runner's process group; returns their descriptions. */
async function reapProcessGroup(pgid: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') {
        found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 120)}`);
      }
    } catch {
      /* gone meanwhile */
    }
  }
  if (found.length > 0) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return found;
}

/** A directory argument means every *.test.ts below it. */
function expand(arg: string): string {
  try {
    if (statSync(arg).isDirectory()) return `${arg.replace(/\/$/, '')}/**/*.test.ts`;
  } catch {
    /* a glob or a file */
  }
  return arg;
}

main().then((code) => process.exit(code));
