import { ConfigError, loadConfigFile, type IdsyncConfig } from './config';
import { EXIT } from './exit-codes';

export { EXIT };

/** Loads the config or ends the process with every problem listed and exit code 2. */
export function loadConfigOrExit(path: string): IdsyncConfig {
  try {
    return loadConfigFile(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`idsync: ${err.message}`);
      process.exit(EXIT.usage);
    }
    throw err;
  }
}

/** `--name value` / `--name=value` from argv; undefined when absent. */
export function flag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

/** Runs `stop` once on SIGINT/SIGTERM; a second Ctrl-C forces exit. */
export function onShutdownSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) {
        console.error('idsync: forced exit');
        process.exit(130);
      }
      stopping = true;
      stop(sig).then(
        () => process.exit(0),
        (err) => {
          console.error(`idsync: error while stopping: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}
