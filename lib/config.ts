import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { directoryConfigSchema, watcherConfigSchema, intakeConfigSchema } from '../directory/config';
import { policyConfigSchema } from '../policy/config';
import { DEFAULT_RECONCILE_CONFIG, reconcileConfigSchema } from '../policy/reconcile-config';
import { validatePolicyAgainstTargets } from '../policy/validate';
import { TARGET_KINDS } from '../targets/registry';
import type { CommonTargetConfig } from '../targets/adapter';

export const temporalConfigSchema = z.object({
  address: z.string().min(1).default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
  /** Files, not contents: certificates stay out of the config file. */
  tls: z
    .object({
      caFile: z.string().optional(),
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
      serverName: z.string().optional(),
    })
    .optional(),
});

export const auditConfigSchema = z.object({
  /** Append-only, hash-chained JSON lines; outlives Temporal's history retention. */
  path: z.string().min(1).default('.idsync/audit.log'),
});

const targetNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'target names are lower-case letters, digits and dashes');

const rawConfigSchema = z.object({
  temporal: temporalConfigSchema.default({ address: '127.0.0.1:7233', namespace: 'default' }),
  directory: directoryConfigSchema,
  watcher: watcherConfigSchema.default({}),
  intake: intakeConfigSchema.optional(),
  targets: z.record(targetNameSchema, z.looseObject({ kind: z.enum(Object.keys(TARGET_KINDS) as [string, ...string[]]) })),
  policy: policyConfigSchema,
  audit: auditConfigSchema.default({ path: '.idsync/audit.log' }),
  reconcile: reconcileConfigSchema.default(DEFAULT_RECONCILE_CONFIG),
});

/** `reconcile` is optional for configs built in code (tests); readers fall back to the defaults. */
export type IdsyncConfig = Omit<z.infer<typeof rawConfigSchema>, 'targets' | 'reconcile'> & {
  targets: Record<string, CommonTargetConfig>;
  reconcile?: z.infer<typeof rawConfigSchema>['reconcile'];
};

/** Thrown for any invalid configuration; `problems` lists every issue as "path: message". */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(root)';
}

function issuesToProblems(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.map((issue) => `${formatPath([...prefix, ...issue.path])}: ${issue.message}`);
}

/** Validates an already-parsed config object; throws ConfigError listing every problem. */
export function validateConfig(raw: unknown, source = 'config'): IdsyncConfig {
  const top = rawConfigSchema.safeParse(raw);
  const problems: string[] = top.success ? [] : issuesToProblems(top.error.issues);
  const targets: Record<string, CommonTargetConfig> = {};
  const rawTargets = (raw as { targets?: Record<string, unknown> } | undefined)?.targets;
  if (rawTargets && typeof rawTargets === 'object') {
    for (const [name, block] of Object.entries(rawTargets)) {
      const kind = (block as { kind?: unknown } | null)?.kind;
      const def = typeof kind === 'string' ? TARGET_KINDS[kind] : undefined;
      if (!def) continue; // the top-level parse already reported the unknown kind
      const parsed = def.configSchema.safeParse(block);
      if (parsed.success) targets[name] = parsed.data;
      else problems.push(...issuesToProblems(parsed.error.issues, ['targets', name]));
    }
  }
  if (top.success) {
    const kinds = Object.fromEntries(Object.values(TARGET_KINDS).map((d) => [d.kind, d.entitlementKinds]));
    const targetKinds = Object.fromEntries(Object.entries(top.data.targets).map(([name, t]) => [name, { kind: t.kind }]));
    problems.push(...validatePolicyAgainstTargets(top.data.policy, targetKinds, kinds));
    for (const name of Object.keys(top.data.reconcile.targets)) {
      if (!(name in targetKinds)) problems.push(`reconcile.targets.${name}: no target named ${name} is configured`);
    }
  }
  if (problems.length > 0 || !top.success) throw new ConfigError(source, [...new Set(problems)]);
  return { ...top.data, targets };
}

/** Reads a YAML or JSON file (YAML is a superset of JSON) and validates it. */
export function loadConfigFile(path: string): IdsyncConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  return validateConfig(withPolicyFile(raw, path), path);
}

/**
 * `policyFile: policy.yaml` keeps the access policy (owned by IAM people) apart from connection
 * settings (owned by operators). The file may hold the policy itself or a document with a `policy:` key.
 */
function withPolicyFile(raw: unknown, configPath: string): unknown {
  if (!raw || typeof raw !== 'object') return raw;
  const { policyFile, ...rest } = raw as Record<string, unknown>;
  if (policyFile === undefined) return raw;
  if (typeof policyFile !== 'string') throw new ConfigError(configPath, ['policyFile: expected a file path']);
  if ('policy' in rest) throw new ConfigError(configPath, ['policyFile: give either policy or policyFile, not both']);
  const policyPath = resolvePath(dirname(configPath), policyFile);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(policyPath, 'utf8'), { prettyErrors: true });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0];
    throw new ConfigError(configPath, [`policyFile: cannot read ${policyPath}: ${reason}`]);
  }
  const policy = doc && typeof doc === 'object' && 'policy' in doc ? (doc as { policy: unknown }).policy : doc;
  return { ...rest, policy };
}

/** Temporal connection settings after environment overrides (the names the Temporal CLI uses). */
export function temporalConnectionSettings(config: IdsyncConfig, env: NodeJS.ProcessEnv = process.env) {
  return {
    address: env.TEMPORAL_ADDRESS || config.temporal.address,
    namespace: env.TEMPORAL_NAMESPACE || config.temporal.namespace,
    apiKey: env.TEMPORAL_API_KEY || undefined,
    tls: {
      caFile: env.TEMPORAL_TLS_CA || config.temporal.tls?.caFile,
      certFile: env.TEMPORAL_TLS_CERT || config.temporal.tls?.certFile,
      keyFile: env.TEMPORAL_TLS_KEY || config.temporal.tls?.keyFile,
      serverName: env.TEMPORAL_TLS_SERVER_NAME || config.temporal.tls?.serverName,
    },
  };
}
