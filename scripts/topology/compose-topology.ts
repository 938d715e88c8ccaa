/**
 * idsync's processes as docker-compose.yml describes them, read from the file itself so that what the
 * topology test runs cannot drift from what operators deploy: each idsync service's command, its
 * environment, its mounts, its restart policy, its replica count, and which worker roles (and so
 * which task queues) its command runs. The Temporal and PostgreSQL services are stood in for by
 * scripts/topology/temporal-cluster.ts and postgres.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../local-services';
import { ALL_ROLES, type WorkerRole } from '../../workers/workers';
import { WATCHER_PROCESS_ROLES } from '../../starters/watch';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  restart?: string;
  deploy?: { replicas?: number };
  ports?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface Mount {
  /** A named volume (`idsync-audit`) or a bind source relative to the compose file (`./deploy/idsync.yaml`). */
  source: string;
  named: boolean;
  target: string;
  readOnly: boolean;
}

export interface IdsyncService {
  name: string;
  /** The entry script (workers/main.ts, starters/watch.ts). */
  script: string;
  command: string[];
  environment: Record<string, string>;
  envFiles: string[];
  mounts: Mount[];
  replicas: number;
  restartsOnExit: boolean;
  roles: WorkerRole[];
}

export function readComposeFile(path = join(PROJECT_ROOT, 'docker-compose.yml')): ComposeFile {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile;
}

export function parseMount(spec: string): Mount {
  const [source, target, mode] = spec.split(':') as [string, string, string | undefined];
  return { source, target, named: !source.startsWith('.') && !source.startsWith('/'), readOnly: mode === 'ro' };
}

/**
 * The worker roles a command runs. workers/main.ts: `--roles`, else IDSYNC_WORKER_ROLES, else every
 * role (as the code does); starters/watch.ts: the watcher process's roles. Anything else runs none.
 */
export function rolesOf(command: string[], environment: Record<string, string> = {}): WorkerRole[] {
  const script = command.find((part) => part.endsWith('.ts') || part.endsWith('.js')) ?? '';
  if (/(^|\/)workers\/main\.(ts|js)$/.test(script)) {
    const flagAt = command.indexOf('--roles');
    const list = flagAt >= 0 ? command[flagAt + 1] : environment.IDSYNC_WORKER_ROLES;
    return list ? (list.split(',').map((r) => r.trim()) as WorkerRole[]) : [...ALL_ROLES];
  }
  if (/(^|\/)starters\/watch\.(ts|js)$/.test(script)) return [...WATCHER_PROCESS_ROLES];
  return [];
}

/** The services that run idsync's own code (built from this repository), in file order. */
export function idsyncServices(compose: ComposeFile = readComposeFile()): IdsyncService[] {
  return Object.entries(compose.services)
    .filter(([, svc]) => svc.build !== undefined && svc.command !== undefined)
    .map(([name, svc]) => {
      const command = svc.command!;
      const environment = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, String(v)]));
      return {
        name,
        script: command.find((part) => part.endsWith('.ts') || part.endsWith('.js')) ?? '',
        command,
        environment,
        envFiles: svc.env_file ?? [],
        mounts: (svc.volumes ?? []).map(parseMount),
        replicas: svc.deploy?.replicas ?? 1,
        restartsOnExit: ['always', 'unless-stopped', 'on-failure'].includes(svc.restart ?? 'no'),
        roles: rolesOf(command, environment),
      };
    });
}

/**
 * Where a path inside a container lives on this host: under the mount that covers it (longest
 * target first), else in that replica's own container filesystem, which no other process sees.
 */
export function hostPathFor(containerPath: string, mounts: Mount[], mountSources: (mount: Mount) => string, containerRoot: string): string {
  const covering = mounts.filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`)).sort((a, b) => b.target.length - a.target.length)[0];
  if (!covering) return join(containerRoot, containerPath);
  return join(mountSources(covering), containerPath.slice(covering.target.length));
}
