/**
 * Production worker process:
 *   node --import tsx workers/main.ts --config /etc/idsync/idsync.yaml [--roles orchestration,directory,targets]
 * Temporal connection from config or TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_*.
 * Run as many of these as needed: they share the work through Temporal's task queues.
 */
import { hostname } from 'node:os';
import { connectClient, connectWorker } from '../app/temporal-connection';
import { EXIT, flag, loadConfigOrExit, onShutdownSignal } from '../app/startup';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { EncryptionSetupError } from '../app/encryption';
import { ALL_ROLES, describeTelemetry, installTemporalRuntime, startWorkers, type WorkerRole } from './workers';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const configPath = flag(argv, 'config') ?? process.env.IDSYNC_CONFIG;
  if (!configPath) {
    console.error('idsync worker: give --config <file> or set IDSYNC_CONFIG');
    process.exit(EXIT.usage);
  }
  const rolesArg = flag(argv, 'roles') ?? process.env.IDSYNC_WORKER_ROLES ?? ALL_ROLES.join(',');
  const roles = rolesArg.split(',').map((r) => r.trim()) as WorkerRole[];
  const unknown = roles.filter((r) => !ALL_ROLES.includes(r));
  if (unknown.length > 0) {
    console.error(`idsync worker: --roles: unknown role(s) ${unknown.join(', ')}; expected some of ${ALL_ROLES.join(', ')}`);
    process.exit(EXIT.usage);
  }
  const config = loadConfigOrExit(configPath);
  const telemetry = installTemporalRuntime(config, 'idsync-worker');
  const runtime = buildRuntime(config);
  const client = await connectClient(config, process.env, telemetry.clientInterceptors);
  const { connection, namespace, dataConverter } = await connectWorker(config);
  const workers = await startWorkers(runtime, { connection, namespace, dataConverter, client, roles, identity: `idsync-worker@${hostname()}:${process.pid}`, telemetry: telemetry.worker });
  console.log(`idsync worker: polling ${workers.taskQueues.join(', ')} on ${namespace}${describeTelemetry(telemetry.settings)}`);
  onShutdownSignal(async () => {
    await workers.shutdown();
    await telemetry.shutdown();
    await closeRuntime(runtime);
    await connection.close();
    await client.connection.close();
  });
  await workers.done;
}

main().catch((err) => {
  console.error(`idsync worker: ${(err as Error).message}`);
  // A missing or unreadable key is a configuration problem, like any other (exit code 2).
  process.exit(err instanceof EncryptionSetupError ? EXIT.usage : EXIT.failure);
});
