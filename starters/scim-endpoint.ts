/**
 * Starts the configured inbound SCIM endpoint in the one process that owns its store (the watcher
 * process: starters/watch.ts, or npm start): with `directory.kind: scim` it only stores (the
 * watcher reads the store as the directory and does the rest), with `intake.scim` every user write
 * is delivered as an identity event before it is stored (scim-alongside.ts).
 */
import type { Client } from '@temporalio/client';
import type { IdsyncConfig } from '../app/config';
import { alongsideLdap } from './scim-alongside';
import type { ScimEndpointConfig } from '../inbound/scim/config';
import { startScimServer, type ScimServer } from '../inbound/scim/server';
import { ScimStore } from '../inbound/scim/store';

export function configuredScimEndpoint(config: Pick<IdsyncConfig, 'directory' | 'intake'>): { endpoint: ScimEndpointConfig; path: string; alongside: boolean } | null {
  if (config.directory.kind === 'scim') return { endpoint: config.directory, path: 'directory', alongside: false };
  if (config.intake?.scim) return { endpoint: config.intake.scim, path: 'intake.scim', alongside: true };
  return null;
}

export async function startConfiguredScim(
  config: Pick<IdsyncConfig, 'directory' | 'intake'>,
  deps: { client: Client; orchestrationTaskQueue: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<ScimServer | null> {
  const configured = configuredScimEndpoint(config);
  if (!configured) return null;
  const { endpoint, path, alongside } = configured;
  const token = env[endpoint.tokenEnv];
  if (!token) throw new Error(`${path}.tokenEnv: environment variable ${endpoint.tokenEnv} is not set`);
  const store = ScimStore.open(endpoint.stateDir);
  try {
    const server = await startScimServer({
      port: endpoint.port,
      host: endpoint.host,
      token,
      store,
      maxBodyBytes: endpoint.maxBodyBytes,
      maxResults: endpoint.maxResults,
      ...(alongside ? { beforeUserCommit: alongsideLdap({ client: deps.client, orchestrationTaskQueue: deps.orchestrationTaskQueue }) } : {}),
    });
    return {
      ...server,
      close: async () => {
        await server.close();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
