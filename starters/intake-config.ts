/**
 * Starts the HTTP intake from the validated `intake:` config section: secrets come from the
 * environment variables the section names (never from the file), and the intake gets its own
 * directory connection to check people before anything starts.
 */
import type { Client } from '@temporalio/client';
import type { IdsyncConfig } from '../app/config';
import { createDirectorySource } from '../directory';
import type { IntakeConfig } from '../directory/config';
import { startIntakeServer, type IntakeServer, type IntakeSourceOptions } from './intake';

function secretFrom(env: NodeJS.ProcessEnv, name: string, path: string): string {
  const secret = env[name];
  if (!secret) throw new Error(`${path}: environment variable ${name} is not set`);
  return secret;
}

function sourcesFrom(intake: IntakeConfig, env: NodeJS.ProcessEnv): Record<string, IntakeSourceOptions> {
  return Object.fromEntries(
    Object.entries(intake.sources).map(([name, source]) => [
      name,
      {
        hmacSecret: secretFrom(env, source.hmacSecretEnv, `intake.sources.${name}.hmacSecretEnv`),
        authoritative: source.authoritative,
        ...(source.rateLimit ? { rateLimit: source.rateLimit } : {}),
      },
    ]),
  );
}

export async function startConfiguredIntake(config: Pick<IdsyncConfig, 'directory'>, intake: IntakeConfig, client: Client, orchestrationTaskQueue: string, env: NodeJS.ProcessEnv = process.env): Promise<IntakeServer> {
  const hmacSecret = secretFrom(env, intake.hmacSecretEnv, 'intake.hmacSecretEnv');
  const sources = sourcesFrom(intake, env);
  const directory = createDirectorySource(config.directory, env);
  try {
    const server = await startIntakeServer({
      port: intake.port,
      host: intake.host,
      hmacSecret,
      rateLimit: intake.rateLimit,
      sources,
      directory,
      client,
      orchestrationTaskQueue,
      maxClockSkewMs: intake.maxClockSkew,
      maxBodyBytes: intake.maxBodyBytes,
    });
    return {
      ...server,
      close: async () => {
        await server.close();
        await directory.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await directory.close().catch(() => undefined);
    throw err;
  }
}
