/**
 * A private PostgreSQL for the topology run: Debian's binaries, a cluster initialised in a directory
 * of the run, listening only on a free loopback port (and a socket in that directory), trust auth for
 * the one local user. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user
 * the Debian package creates. No system cluster is touched.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { userInfo } from 'node:os';
import { freePort } from '../local-services';

const execFileAsync = promisify(execFile);

export interface LocalPostgres {
  host: string;
  port: number;
  user: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (majors.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; install postgresql (Debian: apt-get install postgresql), or run scripts/bootstrap.sh as root');
  return join(root, majors[0]!, 'bin');
}

/** As root, run as the `postgres` user (with the directory handed to it); otherwise as ourselves. */
function asServerUser(dir: string): { prefix: string[]; user: string } {
  if (userInfo().uid !== 0) return { prefix: [], user: userInfo().username };
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!passwd) throw new Error('running as root but there is no postgres user to run PostgreSQL as; install the Debian postgresql package');
  const [, , uid, gid] = passwd.split(':');
  chownSync(dir, Number(uid), Number(gid));
  return { prefix: ['runuser', '-u', 'postgres', '--'], user: 'postgres' };
}

async function run(command: string[], what: string): Promise<void> {
  try {
    await execFileAsync(command[0]!, command.slice(1));
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${what} failed: ${(e.stderr || e.stdout || e.message).trim().slice(-800)}`);
  }
}

export async function startPostgres(dataDir: string): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  // Only the data directory is private: the server user must be able to reach it through its parents.
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { mode: 0o700 });
  const { prefix } = asServerUser(dataDir);
  // Superuser "postgres" whatever OS user runs it; only this run's loopback clients can reach it.
  await run([...prefix, join(bin, 'initdb'), '-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync'], 'initdb');
  const port = await freePort();
  const options = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`;
  await run([...prefix, join(bin, 'pg_ctl'), '-D', dataDir, '-o', options, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', 'start'], 'pg_ctl start');
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    dataDir,
    stop: () => run([...prefix, join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'fast', '-w', 'stop'], 'pg_ctl stop').catch(() => undefined),
  };
}
