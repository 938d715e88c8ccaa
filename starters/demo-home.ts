import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../scripts/local-services';

/** Where `npm start` keeps the embedded demo's state (Temporal SQLite, LDAP data, resolved config, secrets). */
export function demoHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.IDSYNC_HOME ?? join(PROJECT_ROOT, '.idsync');
}

/**
 * For commands run beside the embedded demo (the CLI): the demo's resolved config, with its generated
 * secrets put into the environment the config names. Undefined when no demo has been started here.
 */
export function embeddedDemoConfigPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = demoHome(env);
  const config = join(home, 'demo.resolved.yaml');
  const secrets = join(home, 'demo-secrets.env');
  if (!existsSync(config) || !existsSync(secrets)) return undefined;
  for (const line of readFileSync(secrets, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m && env[m[1]!] === undefined) env[m[1]!] = m[2]!;
  }
  return config;
}
