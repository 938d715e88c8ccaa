import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { directoryConfigSchema, watcherConfigSchema, intakeConfigSchema } from '../directory/config';
import { policyConfigSchema } from '../policy/config';
import { DEFAULT_RECONCILE_CONFIG, reconcileConfigSchema } from '../policy/reconcile-config';
import { validatePolicyAgainstTargets } from '../policy/validate';
import { TARGET_REGISTRY, type TargetRegistry } from '../targets/registry';
import type { CommonTargetConfig } from '../targets/adapter';
import { strictObject, unknownKeyMessage } from '../lib/config-schema';
import { encryptionConfigSchema } from './encryption';
import { telemetryConfigSchema, telemetryEnvironmentProblems } from './telemetry';

/**
 * Why `address` is not a Temporal address ("host:port", IPv6 in brackets), or null when it is. The
 * SDK would only fail at the first connection, with a message that does not name the setting.
 */
export function temporalAddressProblem(address: string): string | null {
  const match = /^(\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[A-Za-z0-9_.-]+):(\d+)$/.exec(address);
  if (!match) return 'expected host:port, e.g. temporal.example.com:7233 or [::1]:7233 (no scheme, no path)';
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port ${match[2]} is out of range: expected host:port with a port from 1 to 65535`;
  return null;
}

const temporalAddress = z.string().superRefine((address, ctx) => {
  const problem = temporalAddressProblem(address);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const temporalConfigSchema = strictObject({
  address: temporalAddress.default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
  /** Files, not contents: certificates stay out of the config file. */
  tls: strictObject({
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    serverName: z.string().optional(),
  }).optional(),
  /** The Temporal UI operators open (http://host:port): `idsync status` links to it, the codec server allows its origin. */
  uiUrl: z.url().optional(),
});

export const auditConfigSchema = strictObject({
  /** Append-only, hash-chained JSON lines; outlives Temporal's history retention. */
  path: z.string().min(1).default('.idsync/audit.log'),
});

const targetNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'target names are lower-case letters, digits and dashes');

/** The top level; `targets.<name>.kind` must be a kind of `registry` (each block is then parsed by its kind's schema). */
function rawConfigSchema(registry: TargetRegistry) {
  return strictObject({
    temporal: temporalConfigSchema.default({ address: '127.0.0.1:7233', namespace: 'default' }),
    directory: directoryConfigSchema,
    watcher: watcherConfigSchema.default({}),
    intake: intakeConfigSchema.optional(),
    targets: z.record(targetNameSchema, z.looseObject({ kind: z.enum(registry.kinds as [string, ...string[]]) })),
    policy: policyConfigSchema,
    audit: auditConfigSchema.default({ path: '.idsync/audit.log' }),
    reconcile: reconcileConfigSchema.default(DEFAULT_RECONCILE_CONFIG),
    /** Optional in the schema; a process that connects to Temporal without it refuses to start (app/encryption.ts). */
    encryption: encryptionConfigSchema.optional(),
    /** Prometheus metrics and OpenTelemetry tracing (app/telemetry.ts); off when absent. */
    telemetry: telemetryConfigSchema.optional(),
  });
}

type RawConfig = z.infer<ReturnType<typeof rawConfigSchema>>;
/** `reconcile` is optional for configs built in code (tests); readers fall back to the defaults. */
export type IdsyncConfig = Omit<RawConfig, 'targets' | 'reconcile'> & { targets: Record<string, CommonTargetConfig>; reconcile?: RawConfig['reconcile'] };

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

/**
 * Sections written with zod's own z.strictObject report unknown keys as one issue per object; this
 * error map words it as strictObject (lib/config-schema.ts) does, one line per key (split below).
 */
const unknownKeysWording: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return issue.keys.map((key) => unknownKeyMessage(key, Object.keys(shape ?? {}))).join('\n');
};

function issuesToProblems(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const messages = issue.message.split('\n');
      return issue.keys.map((key, i) => `${formatPath([...prefix, ...issue.path, key])}: ${messages[i] ?? 'unknown key'}`);
    }
    return [`${formatPath([...prefix, ...issue.path])}: ${issue.message}`];
  });
}

/**
 * Validates an already-parsed config object; throws ConfigError listing every problem. `registry`
 * is the set of target kinds (their config schemas and descriptions); tests may pass their own.
 * `env` is checked for the overrides temporalConnectionSettings applies (TEMPORAL_ADDRESS).
 */
export function validateConfig(raw: unknown, source = 'config', registry: TargetRegistry = TARGET_REGISTRY, env: NodeJS.ProcessEnv = process.env): IdsyncConfig {
  const top = rawConfigSchema(registry).safeParse(raw, { error: unknownKeysWording });
  const problems: string[] = top.success ? [] : issuesToProblems(top.error.issues);
  const targets: Record<string, CommonTargetConfig> = {};
  const rawTargets = (raw as { targets?: Record<string, unknown> } | undefined)?.targets;
  if (rawTargets && typeof rawTargets === 'object') {
    for (const [name, block] of Object.entries(rawTargets)) {
      const kind = (block as { kind?: unknown } | null)?.kind;
      const def = typeof kind === 'string' ? registry.definitions[kind] : undefined;
      if (!def) continue; // the top-level parse already reported the unknown kind
      const parsed = def.configSchema.safeParse(block, { error: unknownKeysWording });
      if (parsed.success) targets[name] = parsed.data;
      else problems.push(...issuesToProblems(parsed.error.issues, ['targets', name]));
    }
  }
  if (top.success) {
    const kinds = Object.fromEntries(registry.kinds.map((kind) => [kind, registry.description(kind).entitlementKinds]));
    const targetKinds = Object.fromEntries(Object.entries(top.data.targets).map(([name, t]) => [name, { kind: t.kind }]));
    problems.push(...validatePolicyAgainstTargets(top.data.policy, targetKinds, kinds));
    if (top.data.directory.kind === 'scim' && top.data.intake?.scim) {
      problems.push('intake.scim: the directory is already the SCIM endpoint (directory.kind: scim); configure one SCIM endpoint, not both');
    }
    if (top.data.intake?.scim && top.data.intake.scim.port !== 0 && top.data.intake.scim.port === top.data.intake.port) {
      problems.push(`intake.scim.port: ${top.data.intake.port} is already the intake's port; choose another`);
    }
    for (const name of Object.keys(top.data.reconcile.targets)) {
      if (!(name in targetKinds)) problems.push(`reconcile.targets.${name}: no target named ${name} is configured`);
    }
  }
  problems.push(...environmentProblems(env), ...telemetryEnvironmentProblems(env));
  if (problems.length > 0 || !top.success) throw new ConfigError(source, [...new Set(problems)]);
  return { ...top.data, targets };
}

/** The environment overrides the file (TEMPORAL_ADDRESS wins over temporal.address), so it is checked as strictly. */
function environmentProblems(env: NodeJS.ProcessEnv): string[] {
  const problem = env.TEMPORAL_ADDRESS ? temporalAddressProblem(env.TEMPORAL_ADDRESS) : null;
  return problem ? [`TEMPORAL_ADDRESS (overrides temporal.address): ${problem}`] : [];
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
  const problems = environmentProblems(env);
  if (problems.length > 0) throw new ConfigError('the environment', problems);
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
