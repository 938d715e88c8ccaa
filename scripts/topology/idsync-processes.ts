/**
 * Runs idsync's compose services as plain processes on this host, the way a container engine would:
 * each replica gets the service's command (from the project root, the image's WORKDIR), its
 * environment with service host names resolved to local addresses, and a view of the filesystem made
 * of its mounts (named volumes shared by every replica that mounts them) and a container root of its
 * own for every other path. Container paths in the idsync config are rewritten per replica, so a
 * process can only reach state its service mounts. A replica that dies is started again when the
 * service's restart policy says so, like `restart: unless-stopped`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROJECT_ROOT, stopChild } from '../local-services';
import { hostPathFor, type IdsyncService, type Mount } from './compose-topology';

export interface DeploymentOptions {
  runDir: string;
  /** Local address for each compose service host name a value may name (`temporal` -> 127.0.0.1:port). */
  hosts: Record<string, string>;
  /** What each env_file holds (the secrets), by the path the compose file gives. */
  envFiles: Record<string, Record<string, string>>;
  /** The idsync config as deploy/idsync.yaml would hold it: paths are container paths. */
  config: Record<string, unknown>;
  /** Which bind source is the config file (the compose file's `./deploy/idsync.yaml`). */
  configBindSource: string;
  /** Inherited by every process (PATH, proxies off, log level). */
  baseEnv: NodeJS.ProcessEnv;
}

export interface Replica {
  service: string;
  index: number;
  /** This replica's private container filesystem. */
  containerRoot: string;
  starts: number;
  pid(): number | undefined;
  output(): string;
  /** Sends a signal to the current process; with the restart policy it comes back as a new process. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * `npm run build` (tsc to dist/, then the workflow bundle): the compose commands run dist/, as the
 * image does, so the topology runs what is compiled from the current sources, never a stale dist/.
 */
export function buildCompiledIdsync(): void {
  const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: PROJECT_ROOT, stdio: 'inherit' });
  run([join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.build.json')]);
  run([join(PROJECT_ROOT, 'dist', 'workers', 'build-workflow-bundle.js')]);
}

export class IdsyncDeployment {
  private readonly running = new Map<string, { replica: Replica; child?: ChildProcess; stopping: boolean }>();

  constructor(
    readonly services: IdsyncService[],
    private readonly opts: DeploymentOptions,
  ) {}

  service(name: string): IdsyncService {
    const found = this.services.find((s) => s.name === name);
    if (!found) throw new Error(`docker-compose.yml has no idsync service ${name}`);
    return found;
  }

  /** Where a named volume's data lives on this host (shared by every replica that mounts it). */
  volumeDir(volume: string): string {
    return join(this.opts.runDir, 'volumes', volume);
  }

  replicas(): Replica[] {
    return [...this.running.values()].map((r) => r.replica);
  }

  /** Starts replica `index` (1-based) of a service. */
  start(serviceName: string, index: number): Replica {
    const service = this.service(serviceName);
    if (index < 1 || index > service.replicas) throw new Error(`${serviceName} has ${service.replicas} replica(s) in docker-compose.yml, not ${index}`);
    const key = `${serviceName}-${index}`;
    if (this.running.has(key)) throw new Error(`${key} is already running`);
    const containerRoot = join(this.opts.runDir, 'containers', key);
    mkdirSync(containerRoot, { recursive: true });
    const configFile = join(this.opts.runDir, 'containers', `${key}.idsync.yaml`);
    const sourceOf = (mount: Mount): string => {
      if (mount.named) return this.volumeDir(mount.source);
      if (mount.source === this.opts.configBindSource) return configFile;
      throw new Error(`${serviceName} mounts ${mount.source}, which the topology does not provide`);
    };
    for (const mount of service.mounts) if (mount.named) mkdirSync(this.volumeDir(mount.source), { recursive: true });
    const resolvePath = (containerPath: string) => hostPathFor(containerPath, service.mounts, sourceOf, containerRoot);
    writeFileSync(configFile, stringify(mapContainerPaths(this.opts.config, resolvePath)), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...this.opts.baseEnv };
    for (const file of service.envFiles) {
      const values = this.opts.envFiles[file];
      if (!values) throw new Error(`${serviceName} reads ${file}, which the topology does not provide`);
      Object.assign(env, values);
    }
    for (const [name, value] of Object.entries(service.environment)) env[name] = this.resolveValue(value, resolvePath);
    const [program, ...args] = service.command;
    const executable = program === 'node' ? process.execPath : program!;
    const logFile = join(this.opts.runDir, 'logs', `${key}.log`);
    mkdirSync(join(this.opts.runDir, 'logs'), { recursive: true });

    let output = '';
    const entry: { stopping: boolean; child?: ChildProcess; replica: Replica } = {
      stopping: false,
      replica: {
        service: serviceName,
        index,
        containerRoot,
        starts: 0,
        pid: () => entry.child?.pid,
        output: () => output,
        kill: (signal: NodeJS.Signals) => void entry.child?.kill(signal),
      } as Replica,
    };
    const launch = () => {
      entry.replica.starts++;
      const child = spawn(executable, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const capture = (chunk: Buffer) => {
        output += chunk.toString();
        appendFileSync(logFile, chunk);
      };
      child.stdout!.on('data', capture);
      child.stderr!.on('data', capture);
      child.once('exit', (code, signal) => {
        const line = `[topology] ${key} (pid ${child.pid}) exited ${signal ?? code}\n`;
        output += line;
        appendFileSync(logFile, line);
        if (!entry.stopping && service.restartsOnExit) setTimeout(() => !entry.stopping && launch(), 500);
      });
      entry.child = child;
    };
    this.running.set(key, entry);
    launch();
    return entry.replica;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.running.values()].map(async (entry) => {
        entry.stopping = true;
        if (entry.child) await stopChild(entry.child, 10_000);
      }),
    );
  }

  /** `temporal:7233` -> the local address standing in for that service; container paths -> host paths. */
  private resolveValue(value: string, resolvePath: (p: string) => string): string {
    const hostPort = /^([a-z0-9-]+):(\d+)$/.exec(value);
    if (hostPort && this.opts.hosts[hostPort[1]!]) return this.opts.hosts[hostPort[1]!]!;
    return value.startsWith('/') ? resolvePath(value) : value;
  }
}

/** Every absolute path in the config is a container path; everything else is left as it is. */
function mapContainerPaths(value: unknown, resolvePath: (p: string) => string): unknown {
  if (typeof value === 'string') return value.startsWith('/') ? resolvePath(value) : value;
  if (Array.isArray(value)) return value.map((v) => mapContainerPaths(v, resolvePath));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapContainerPaths(v, resolvePath)]));
  return value;
}
