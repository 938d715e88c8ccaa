import { readFileSync } from 'node:fs';
import { Connection, Client, WorkflowUpdateFailedError, type ClientInterceptors } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { IdsyncConfig } from './config';
import { temporalConnectionSettings } from './config';
import { idsyncDataConverter } from './encryption';

type TlsOption = { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } } | undefined;

function tlsOption(settings: ReturnType<typeof temporalConnectionSettings>): TlsOption | boolean {
  const { caFile, certFile, keyFile, serverName } = settings.tls;
  if (!caFile && !certFile && !keyFile && !serverName) return settings.apiKey ? true : false;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new Error('temporal.tls: certFile and keyFile (TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY) must be given together');
  }
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: caFile ? readFileSync(caFile) : undefined,
    clientCertPair: certFile && keyFile ? { crt: readFileSync(certFile), key: readFileSync(keyFile) } : undefined,
  };
}

function unreachable(address: string, err: Error): Error {
  return new Error(`cannot reach Temporal at ${address} (${err.message}); is the server running (npm start for the embedded one)?`);
}

/** Address, TLS and API key shared by client and worker connections. */
function connectionOptions(config: IdsyncConfig, env: NodeJS.ProcessEnv) {
  const settings = temporalConnectionSettings(config, env);
  const tls = tlsOption(settings);
  return {
    namespace: settings.namespace,
    options: { address: settings.address, tls: tls === false ? undefined : tls === true ? {} : tls, apiKey: settings.apiKey },
  };
}

/**
 * Client connection (starters, CLI, the activities' client) from config + TEMPORAL_* environment,
 * with idsync's data converter: the keys are read before connecting, so a missing key fails first.
 * `interceptors`: tracing's (app/tracing.ts), where the process traces.
 */
export async function connectClient(config: IdsyncConfig, env: NodeJS.ProcessEnv = process.env, interceptors?: ClientInterceptors): Promise<Client> {
  const { namespace, options } = connectionOptions(config, env);
  const dataConverter = idsyncDataConverter(config, env);
  const connection = await Connection.connect(options).catch((err: Error) => {
    throw unreachable(options.address, err);
  });
  return new Client({ connection, namespace, dataConverter, ...(interceptors ? { interceptors } : {}) });
}

/** Worker connection from config + TEMPORAL_* environment, and the data converter every Worker on it must use. */
export async function connectWorker(
  config: IdsyncConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ connection: NativeConnection; namespace: string; dataConverter: DataConverter }> {
  const { namespace, options } = connectionOptions(config, env);
  const dataConverter = idsyncDataConverter(config, env);
  // Loaded here, not at the top: the CLI uses only connectClient and should not pay for the worker SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NativeConnection } = require('@temporalio/worker') as typeof import('@temporalio/worker');
  const connection = await NativeConnection.connect(options).catch((err: Error) => {
    throw unreachable(options.address, err);
  });
  return { connection, namespace, dataConverter };
}

/** Why an update failed, in the workflow's own words: a validator's or handler's message, not the SDK's wrapper. */
export function updateFailureMessage(err: unknown): string {
  return err instanceof WorkflowUpdateFailedError ? ((err.cause as Error | undefined)?.message ?? err.message) : (err as Error).message;
}
