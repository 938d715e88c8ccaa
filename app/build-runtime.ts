import { FileAuditLog } from '../audit';
import { createDirectorySource } from '../directory';
import type { IdsyncConfig } from './config';
import type { Runtime } from './runtime';
import type { TargetAdapter } from '../targets/adapter';
import { targetDefinition } from '../targets/registry';

/** Builds the adapters, directory source and audit sink a worker process needs, from validated config. */
export function buildRuntime(config: IdsyncConfig, env: NodeJS.ProcessEnv = process.env): Runtime {
  const adapters = new Map<string, TargetAdapter>();
  for (const [name, targetConfig] of Object.entries(config.targets)) {
    if (!targetConfig.enabled) continue;
    adapters.set(name, targetDefinition(targetConfig.kind).createAdapter(name, targetConfig, env));
  }
  return {
    config,
    adapters,
    directory: createDirectorySource(config.directory, env),
    audit: new FileAuditLog(config.audit.path),
  };
}

export async function closeRuntime(runtime: Runtime): Promise<void> {
  await Promise.allSettled([...runtime.adapters.values()].map((a) => a.close?.()));
  await runtime.directory.close().catch(() => undefined);
}
