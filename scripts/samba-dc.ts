/**
 * A real Active Directory domain controller (Samba, from Debian) for the tests, run the way
 * scripts/local-services.ts runs slapd:
 * - provisioned once per Samba version into a template under .tools/samba/<version>/ (a few
 *   seconds to half a minute), then copied for every DC started;
 * - each DC runs in a private network namespace, because Samba's LDAP port cannot be moved off 389.
 *   A veth pair gives the namespace its own address (10.213.<slot>.2) that this host reaches
 *   directly, so the test process needs no help to talk to it;
 * - `samba -i` ends when its stdin closes, so a DC never outlives the process that started it.
 * Needs root (network namespaces, veth); sambaUnavailableReason() says in one sentence what is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { PROJECT_ROOT } from './local-services';

export const SAMBA_REALM = 'EXAMPLE.TEST';
export const SAMBA_BASE_DN = 'DC=example,DC=test';
export const SAMBA_ADMIN_DN = `CN=Administrator,CN=Users,${SAMBA_BASE_DN}`;
const SAMBA_BIN = ['/usr/sbin/samba', '/usr/bin/samba'];
const SLOTS = 200;
/** Where each slot's owner is recorded, so a slot left behind by a killed run can be taken back. */
const CLAIMS_DIR = join(tmpdir(), 'idsync-samba-dc');

export interface SambaDc {
  /** ldap://10.213.<slot>.2 (port 389), reachable from this host. */
  url: string;
  baseDn: string;
  bindDn: string;
  bindPassword: string;
  stop(): Promise<void>;
}

function sambaBinary(): string | undefined {
  return SAMBA_BIN.find((path) => existsSync(path));
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: res.status === 0, out: `${res.stdout ?? ''}${res.stderr ?? ''}`.trim() };
}

function must(cmd: string, args: string[]): string {
  const res = run(cmd, args);
  // The administrator password never goes into an error message.
  const shown = args.map((arg) => arg.replace(/^(--adminpass=).*/, '$1(hidden)'));
  if (!res.ok) throw new Error(`${cmd} ${shown.join(' ')} failed: ${res.out.slice(-800)}`);
  return res.out;
}

/** Why no Samba DC can be started here (one sentence), or null when it can. */
export function sambaUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'Samba AD tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'Samba AD tests need root (network namespaces, port 389); CI runs them as root';
  if (!sambaBinary() || !run('samba-tool', ['--version']).ok) return 'Samba is not installed (scripts/bootstrap.sh installs it as root on Debian)';
  if (!run('ip', ['netns', 'list']).ok) return 'no network namespace support (`ip netns` failed)';
  return null;
}

/** "4.17.12-Debian": the template is provisioned again when Samba changes. */
export function sambaVersion(): string {
  return must(sambaBinary()!, ['-V']).replace(/^Version\s+/, '').trim();
}

interface Template {
  dir: string;
  adminPassword: string;
}

/** Marker written into the template's smb.conf in place of its own directory, replaced in every copy. */
const TEMPLATE_DIR_MARK = '@SAMBA_DIR@';
const INTERFACE_MARK = '@SAMBA_ADDRESS@';

/**
 * The provisioned template for this Samba version, made once. Concurrent test files may both
 * provision; the first rename wins and the loser's copy is discarded.
 */
export function ensureSambaTemplate(cacheRoot = join(PROJECT_ROOT, '.tools', 'samba')): Template {
  const dir = join(cacheRoot, sambaVersion().replace(/[^\w.-]/g, '_'), 'template');
  const passwordFile = join(dir, 'admin-password');
  if (existsSync(join(dir, 'etc', 'smb.conf')) && existsSync(passwordFile)) return { dir, adminPassword: readFileSync(passwordFile, 'utf8').trim() };
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // Meets AD's complexity rule (upper, lower, digit, symbol); only the tests' DCs ever use it.
  const adminPassword = `Id-${randomBytes(12).toString('hex')}-X9`;
  try {
    must('samba-tool', [
      'domain', 'provision', '--use-rfc2307', `--realm=${SAMBA_REALM}`, '--domain=EXAMPLE', '--server-role=dc',
      '--dns-backend=NONE', `--adminpass=${adminPassword}`, `--targetdir=${staging}`,
      '--option=interfaces = 127.0.0.1', '--option=bind interfaces only = yes',
    ]);
    const confFile = join(staging, 'etc', 'smb.conf');
    // Options given to provision do not all reach smb.conf: the ones the tests rely on are written here.
    const conf = readFileSync(confFile, 'utf8')
      .split(staging).join(TEMPLATE_DIR_MARK)
      .replace(/^\s*interfaces = .*$/m, `\tinterfaces = ${INTERFACE_MARK}`)
      .replace(/^\s*server services = .*$/m, '\tserver services = ldap, rpc')
      .replace(/^\s*log file = .*$/m, `\tlog file = ${TEMPLATE_DIR_MARK}/log.%m`)
      .replace(/^\[global\]$/m, `[global]\n\tldap server require strong auth = no\n\ttls enabled = no\n\tpid directory = ${TEMPLATE_DIR_MARK}`);
    writeFileSync(confFile, conf);
    writeFileSync(join(staging, 'admin-password'), `${adminPassword}\n`, { mode: 0o600 });
    chmodSync(join(staging, 'admin-password'), 0o600);
    try {
      renameSync(staging, dir);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process finished first
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return { dir, adminPassword: readFileSync(passwordFile, 'utf8').trim() };
}

interface Slot {
  index: number;
  netns: string;
  hostLink: string;
  address: string;
  claimFile: string;
}

function slot(index: number): Slot {
  return {
    index,
    netns: `idsync-dc${index}`,
    hostLink: `idsdc${index}h`,
    address: `10.213.${index}.2`,
    claimFile: join(CLAIMS_DIR, `slot-${index}.json`),
  };
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function releaseSlot(s: Slot): void {
  run('ip', ['netns', 'del', s.netns]); // takes the namespace's end of the veth pair, and so both ends, with it
  run('ip', ['link', 'del', s.hostLink]);
  rmSync(s.claimFile, { force: true });
}

/** A slot whose recorded owner is gone: its DC (if still running) is stopped and the slot freed. */
function reclaimIfAbandoned(s: Slot): boolean {
  let claim: { owner?: number; samba?: number } = {};
  try {
    claim = JSON.parse(readFileSync(s.claimFile, 'utf8')) as typeof claim;
  } catch {
    /* no claim file: a namespace of ours from before claim files, or one being set up right now */
    return false;
  }
  if (alive(claim.owner)) return false;
  if (claim.samba && alive(claim.samba)) {
    try {
      process.kill(-claim.samba, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  releaseSlot(s);
  return true;
}

/** Takes a free namespace slot: `ip netns add` fails for a name that exists, so two runs never share one. */
function claimSlot(): Slot {
  mkdirSync(CLAIMS_DIR, { recursive: true });
  // Slots of runs that were killed before they could stop their DC are freed first.
  for (const file of readdirSync(CLAIMS_DIR)) {
    const index = /^slot-(\d+)\.json$/.exec(file)?.[1];
    if (index !== undefined && Number(index) < SLOTS) reclaimIfAbandoned(slot(Number(index)));
  }
  const start = process.pid % SLOTS;
  for (let i = 0; i < SLOTS; i++) {
    const s = slot((start + i) % SLOTS);
    if (!run('ip', ['netns', 'add', s.netns]).ok && !(reclaimIfAbandoned(s) && run('ip', ['netns', 'add', s.netns]).ok)) continue;
    writeFileSync(s.claimFile, JSON.stringify({ owner: process.pid }));
    try {
      const inside = `idsdc${s.index}n`;
      run('ip', ['link', 'del', s.hostLink]); // a leftover from a killed run
      must('ip', ['link', 'add', s.hostLink, 'type', 'veth', 'peer', 'name', inside]);
      must('ip', ['link', 'set', inside, 'netns', s.netns]);
      must('ip', ['addr', 'add', `10.213.${s.index}.1/30`, 'dev', s.hostLink]);
      must('ip', ['link', 'set', s.hostLink, 'up']);
      must('ip', ['netns', 'exec', s.netns, 'ip', 'addr', 'add', `${s.address}/30`, 'dev', inside]);
      must('ip', ['netns', 'exec', s.netns, 'ip', 'link', 'set', inside, 'up']);
      must('ip', ['netns', 'exec', s.netns, 'ip', 'link', 'set', 'lo', 'up']);
      return s;
    } catch (err) {
      releaseSlot(s);
      throw err;
    }
  }
  throw new Error(`no free network namespace slot for a Samba DC (all ${SLOTS} taken)`);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Ready once an LDAP simple bind as Administrator succeeds (Samba opens its port before the database is up). */
async function waitForBind(url: string, password: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`samba exited (${child.exitCode ?? child.signalCode}) before answering: ${tail(logFile)}`);
    }
    const client = new Client({ url, connectTimeout: 2000, timeout: 5000 });
    try {
      await client.bind(SAMBA_ADMIN_DN, password);
      return;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      await client.unbind().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`samba at ${url} did not accept a bind within ${timeoutMs} ms (${last}): ${tail(logFile)}`);
    await sleep(250);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-1500);
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a fresh DC from the template in `workDir` (which it fills) inside a namespace of its own.
 * stop() ends it and frees the namespace; so does the end of this process (samba's stdin closes).
 */
export async function startSambaDc(opts: { workDir: string; timeoutMs?: number }): Promise<SambaDc> {
  const template = ensureSambaTemplate();
  const dir = join(opts.workDir, 'dc');
  cpSync(template.dir, dir, { recursive: true });
  rmSync(join(dir, 'admin-password'));
  const s = claimSlot();
  const confFile = join(dir, 'etc', 'smb.conf');
  writeFileSync(confFile, readFileSync(confFile, 'utf8').split(TEMPLATE_DIR_MARK).join(dir).split(INTERFACE_MARK).join(s.address));
  const logFile = join(opts.workDir, 'samba.log');
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // Its own process group, so stop() can end samba's prefork workers with it.
    child = spawn('ip', ['netns', 'exec', s.netns, sambaBinary()!, '-i', '-s', confFile], { stdio: ['pipe', log, log], detached: true });
  } catch (err) {
    releaseSlot(s);
    throw err;
  }
  writeFileSync(s.claimFile, JSON.stringify({ owner: process.pid, samba: child.pid }));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    killGroup('SIGKILL'); // prefork workers that outlived the master
    releaseSlot(s);
  };
  const url = `ldap://${s.address}:389`;
  try {
    await waitForBind(url, template.adminPassword, child, logFile, opts.timeoutMs ?? 90_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, baseDn: SAMBA_BASE_DN, bindDn: SAMBA_ADMIN_DN, bindPassword: template.adminPassword, stop };
}
