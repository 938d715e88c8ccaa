/**
 * `npm start`: the whole product on one machine.
 *  - Embedded default (no config given): Temporal dev server with Web UI and a persistent SQLite file,
 *    a private slapd seeded with the demo company, the four target emulators, the workers, the
 *    directory watcher and the HTTP intake, all on loopback. Ctrl-C stops everything it started.
 *  - With `--config file` (or IDSYNC_CONFIG): no local servers; the same workers and watcher run
 *    against the real directory, targets and Temporal the file names.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT, startSlapd, startTemporalDevServer, type LocalSlapd, type TemporalDevServer } from '../scripts/local-services';
import { EXIT, flag, loadConfigOrExit, onShutdownSignal } from '../app/startup';
import { connectClient, connectWorker } from '../app/temporal-connection';
import type { IdsyncConfig } from '../app/config';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { describeTelemetry, installQuietTemporalLogging, installTemporalRuntime, startWorkers, type ProcessTelemetry } from '../workers/workers';
import { startWatching } from './watch';
import { ensureReconcileSchedule } from './reconcile-schedule';
import { demoDirectoryLdif } from './demo-directory';
import { loadOrCreateDemoKeyFile, loadOrCreateDemoSecrets } from './demo-secrets';
import { codecServerOptions, startCodecServer, type CodecServer } from './codec-server';
import { resyncEveryone } from './demo-resync';
import { demoHome } from './demo-home';
import { demoEmulatorPorts, startDemoEmulators, type RunningEmulator } from '../emulators/demo';
import { followProgress } from '../cli/progress';

const execFileAsync = promisify(execFile);
const HOME = demoHome();
const PORTS = {
  temporal: Number(process.env.IDSYNC_TEMPORAL_PORT ?? 7233),
  ui: Number(process.env.IDSYNC_UI_PORT ?? 8233),
  ldap: Number(process.env.IDSYNC_LDAP_PORT ?? 3389),
  codec: Number(process.env.IDSYNC_CODEC_PORT ?? 8234),
};

type Stopper = { name: string; stop: () => Promise<void> };

async function seedDemoDirectory(slapd: LocalSlapd): Promise<boolean> {
  const marker = join(slapd.dataDir, '.seeded');
  if (existsSync(marker)) return false;
  const ldif = join(slapd.dataDir, 'demo.ldif');
  const passwordFile = join(slapd.dataDir, '.bindpw');
  writeFileSync(ldif, demoDirectoryLdif(slapd.suffix, new Date()));
  writeFileSync(passwordFile, slapd.bindPassword, { mode: 0o600 });
  // -y reads the password from a file so it never shows in the process list.
  await execFileAsync('ldapadd', ['-x', '-H', slapd.url, '-D', slapd.bindDn, '-y', passwordFile, '-f', ldif]);
  writeFileSync(marker, new Date().toISOString());
  return true;
}

/** The demo config file with the embedded ports filled in. */
function demoConfig(): IdsyncConfig {
  const path = join(PROJECT_ROOT, 'config', 'demo.yaml');
  const emulatorPorts = demoEmulatorPorts();
  const raw = readFileSync(path, 'utf8')
    .replaceAll('${IDSYNC_HOME}', HOME)
    .replaceAll('${CONFIG_DIR}', join(PROJECT_ROOT, 'config'))
    .replaceAll('${TEMPORAL_PORT}', String(PORTS.temporal))
    .replaceAll('${UI_PORT}', String(PORTS.ui))
    .replaceAll('${CODEC_PORT}', String(PORTS.codec))
    .replaceAll('${LDAP_PORT}', String(PORTS.ldap))
    .replaceAll('${SALESFORCE_PORT}', String(emulatorPorts.salesforce))
    .replaceAll('${HUBSPOT_PORT}', String(emulatorPorts.hubspot))
    .replaceAll('${HIGHSPOT_PORT}', String(emulatorPorts.highspot))
    .replaceAll('${SCIM_PORT}', String(emulatorPorts.scim));
  const tmp = join(HOME, 'demo.resolved.yaml');
  writeFileSync(tmp, raw);
  parseYaml(raw); // surfaces YAML errors with the right file name below
  const config = loadConfigOrExit(tmp);
  // Moves the intake like the other ports, so a second stack (a test's) can run beside a demo.
  if (config.intake && process.env.IDSYNC_INTAKE_PORT) config.intake.port = Number(process.env.IDSYNC_INTAKE_PORT);
  return config;
}

async function runEmbedded(): Promise<void> {
  mkdirSync(HOME, { recursive: true });
  const stoppers: Stopper[] = [];
  onShutdownSignal(async () => {
    console.log('\nidsync: stopping...');
    for (const s of stoppers.reverse()) {
      await s.stop().catch((err) => console.error(`idsync: ${s.name}: ${(err as Error).message}`));
    }
    console.log('idsync: stopped everything it started');
  });

  const secrets = loadOrCreateDemoSecrets(join(HOME, 'demo-secrets.env'));
  Object.assign(process.env, secrets);
  loadOrCreateDemoKeyFile(join(HOME, 'encryption-keys'));
  const config = demoConfig();
  // The UI decodes through the codec server; the endpoint carries its token (the UI sends no header of its own).
  const codecOptions = codecServerOptions(config);
  const uiCodecEndpoint = `http://127.0.0.1:${PORTS.codec}/${encodeURIComponent(codecOptions.token)}`;
  console.log('idsync: starting the embedded stack (Temporal dev server, OpenLDAP, target emulators, codec server)...');
  const servers = await Promise.allSettled([
    startTemporalDevServer({ port: PORTS.temporal, uiPort: PORTS.ui, dbFile: join(HOME, 'temporal.sqlite'), logFile: join(HOME, 'temporal.log'), uiCodecEndpoint }),
    startSlapd({ dataDir: join(HOME, 'ldap'), port: PORTS.ldap, rootPassword: secrets.LDAP_BIND_PASSWORD }),
  ]);
  const [temporalStart, slapdStart] = servers;
  if (temporalStart.status === 'rejected' || slapdStart.status === 'rejected') {
    // The one that did start must not outlive this process.
    for (const s of servers) if (s.status === 'fulfilled') await s.value.stop().catch(() => undefined);
    for (const s of servers) if (s.status === 'rejected') console.error(`idsync: ${(s.reason as Error).message}`);
    console.error('idsync: is another idsync (or something on ports 7233/8233/3389) running? Set IDSYNC_TEMPORAL_PORT / IDSYNC_UI_PORT / IDSYNC_LDAP_PORT to move.');
    process.exit(EXIT.failure);
  }
  const temporal: TemporalDevServer = temporalStart.value;
  const slapd: LocalSlapd = slapdStart.value;
  stoppers.push({ name: 'temporal', stop: temporal.stop }, { name: 'slapd', stop: slapd.stop });
  const seeded = await seedDemoDirectory(slapd);

  const codec: CodecServer = await startCodecServer(codecOptions).catch((err: Error) => {
    throw new Error(`the codec server could not listen on 127.0.0.1:${PORTS.codec} (${err.message}); set IDSYNC_CODEC_PORT to move it`);
  });
  stoppers.push({ name: 'codec server', stop: codec.close });
  const emulators: RunningEmulator[] = await startDemoEmulators(secrets, demoEmulatorPorts(), join(HOME, 'emulators'));
  stoppers.push({ name: 'emulators', stop: async () => void (await Promise.allSettled(emulators.map((e) => e.close()))) });

  const { workersStopped, watch, client, runtime } = await runIdsync(config, stoppers);
  printBanner({ temporal, slapd, emulators, seeded, intakeUrl: watch.intakeUrl, scimUrl: watch.scimUrl, codecUrl: codec.url });
  showBulkProgress(client, stoppers);
  // The emulators keep their accounts in HOME/emulators like Temporal and the directory keep theirs, so
  // a restart has nothing to redo. Only an emulator that came back from its seed while the people
  // are not new (its state file was deleted, or the first start after an upgrade) needs everyone converged again.
  const reseeded = emulators.filter((e) => !e.keptState).map((e) => e.label);
  if (!seeded && reseeded.length > 0) {
    const count = await resyncEveryone(client, runtime.directory, new Date());
    console.log(`idsync: restart: ${reseeded.join(', ')} had no saved state; asked ${count} person workflows to converge them again`);
  } else if (!seeded) {
    console.log('idsync: restart: every emulator kept its state; nothing to converge again');
  }
  await workersStopped;
}

/** `telemetry`: with a config file of its own, its metrics endpoint and tracing (the embedded demo has neither). */
async function runIdsync(config: IdsyncConfig, stoppers: Stopper[], telemetry?: ProcessTelemetry) {
  const runtime = buildRuntime(config);
  const client = await connectClient(config, process.env, telemetry?.clientInterceptors);
  const { connection, namespace, dataConverter } = await connectWorker(config);
  const workers = await startWorkers(runtime, { connection, namespace, dataConverter, client, ...(telemetry ? { telemetry: telemetry.worker } : {}) });
  stoppers.push({
    name: 'workers',
    stop: async () => {
      await workers.shutdown();
      await telemetry?.shutdown();
      await closeRuntime(runtime);
      await connection.close();
      await client.connection.close();
    },
  });
  const watch = await startWatching(config, client);
  stoppers.push({ name: 'watcher', stop: watch.stop });
  await ensureReconcileSchedule(client, config);
  return { workersStopped: workers.done, watch, client, runtime };
}

/** The baseline and first syncs, counted from visibility until nobody is in progress; then a summary. */
function showBulkProgress(client: Awaited<ReturnType<typeof connectClient>>, stoppers: Stopper[]): void {
  const stop = new AbortController();
  stoppers.push({ name: 'progress', stop: async () => stop.abort() });
  void followProgress(client, { tty: Boolean(process.stdout.isTTY), write: (text) => process.stdout.write(text), signal: stop.signal });
}

function printBanner(info: { temporal: TemporalDevServer; slapd: LocalSlapd; emulators: RunningEmulator[]; seeded: boolean; intakeUrl?: string; scimUrl?: string; codecUrl: string }) {
  const rows: [string, string][] = [
    ['Temporal Web UI', info.temporal.uiUrl ?? '(headless)'],
    ['Temporal gRPC', info.temporal.address],
    ['Directory (OpenLDAP)', `${info.slapd.url}  base ${info.slapd.suffix}  bind ${info.slapd.bindDn}${info.seeded ? '  (demo company loaded)' : ''}`],
    ...info.emulators.map((e): [string, string] => [e.label, e.url]),
  ];
  if (info.intakeUrl) rows.push(['HTTP intake (HMAC)', info.intakeUrl]);
  if (info.scimUrl) rows.push(['Inbound SCIM 2.0 (bearer token)', info.scimUrl]);
  rows.push(['Codec server (UI decodes)', `${info.codecUrl}  (AES-256-GCM; key ${join(HOME, 'encryption-keys')}, token IDSYNC_CODEC_TOKEN in demo-secrets.env)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nidsync is running:');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(`\n  Demo secrets: ${join(HOME, 'demo-secrets.env')} (mode 600; never printed)`);
  console.log('  Try: npx idsync status <uid>   |   npx idsync plan <uid>   |   npx idsync progress   |   Ctrl-C stops everything.\n');
}

async function runWithConfig(path: string): Promise<void> {
  const config = loadConfigOrExit(path);
  const telemetry = installTemporalRuntime(config, 'idsync');
  const stoppers: Stopper[] = [];
  onShutdownSignal(async () => {
    for (const s of stoppers.reverse()) await s.stop().catch(() => undefined);
  });
  const { workersStopped, watch, client } = await runIdsync(config, stoppers, telemetry);
  // One process for everything: the codec server too, when the config describes one.
  const codec = config.encryption?.mode !== 'off' && config.encryption?.codecServer ? await startCodecServer(codecServerOptions(config)) : undefined;
  if (codec) stoppers.push({ name: 'codec server', stop: codec.close });
  console.log(`idsync: running against ${path}${watch.intakeUrl ? `; intake ${watch.intakeUrl}` : ''}${watch.scimUrl ? `; SCIM ${watch.scimUrl}` : ''}${codec ? `; codec server ${codec.url}` : ''}${describeTelemetry(telemetry.settings)}`);
  showBulkProgress(client, stoppers);
  await workersStopped;
}

const configPath = flag(process.argv.slice(2), 'config') ?? process.env.IDSYNC_CONFIG;
// A config of its own may switch the metrics endpoint on, so the Temporal runtime is installed once it is read.
if (!configPath) installQuietTemporalLogging();
(configPath ? runWithConfig(configPath) : runEmbedded()).catch((err) => {
  console.error(`idsync: ${(err as Error).message}`);
  process.exit(EXIT.failure);
});
