/**
 * idsync for bench/orchestration.ts, alone in its process so its CPU time (and a --cpu-prof profile)
 * is its own: production's buildRuntime + startWorkers with every role, and the directory watcher,
 * as `npm start` runs them. The one bench-only addition: each HTTP request an activity sends is
 * tagged with that activity's identity, so the recording proxy can key it (a header, nothing more).
 * Prints "ready" once polling; SIGTERM stops it.
 *   node --import tsx bench/orchestration-worker.ts <config.json> <temporal address>
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfigFile } from '../app/config';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { startWorkers } from '../workers/workers';
import { startWatching } from '../starters/watch';
import { tagActivityRequests } from './orchestration-replay';

async function main(): Promise<void> {
  const [configPath, address] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } } });
  tagActivityRequests();
  const config = loadConfigFile(configPath!);
  const runtime = buildRuntime(config);
  const connection = await NativeConnection.connect({ address: address! });
  const clientConnection = await Connection.connect({ address: address! });
  const client = new Client({ connection: clientConnection });
  const workers = await startWorkers(runtime, { connection, namespace: 'default', client });
  const watching = await startWatching(config, client);
  process.once('SIGTERM', () => {
    void watching
      .stop()
      .then(() => workers.shutdown())
      .then(() => closeRuntime(runtime))
      .then(() => Promise.allSettled([connection.close(), clientConnection.close()]))
      .finally(() => process.exit(0));
  });
  console.log('ready');
  await workers.done;
}

main().catch((err: unknown) => {
  console.error(`orchestration bench worker: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
