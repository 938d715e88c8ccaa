/**
 * idsync command line: `npx idsync <command> [options]` (bin/idsync.js runs the compiled dist/cli/idsync.js),
 * or `npm run idsync -- ...` from the TypeScript sources.
 * Exit codes: 0 ok, 1 the operation failed or was refused, 2 usage or configuration error.
 *
 * Start-up time is part of the interface: `--help` must answer at once, and a status must not wait for
 * modules it does not use. So this file imports only what parsing needs; each command imports its own
 * modules (the Temporal client, the config schema, the directory, the policy) when it runs.
 */
import type { Client } from '@temporalio/client';
import type { IdsyncConfig } from '../app/config';
import type { DirectorySource } from '../directory/source';
import type { PolicyConfig } from '../policy/config';
import { EXIT } from '../app/exit-codes';
import { UsageError } from './usage-error';
import type { CommandResult } from './commands';

/** A module a command needs, loaded when that command runs (CommonJS require: shares the module cache). */
function load<Module>(id: string): Module {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(id) as Module;
}

const HELP = `idsync: identity lifecycle from the directory to SaaS accounts

Usage: idsync <command> [options]

Commands:
  plan <person>                         Dry run: per-target plan with the rule behind each line; applies nothing
  sync <person> [--wait <seconds>]      Provision now (current directory state and policy) and wait for the result
  approve <person|run> --as <approver> [--comment <text>]
                                        Approve the privileged grants a run is holding (synchronous answer)
  reject <person|run> --as <approver> [--comment <text>]
                                        Reject them
  status <person>                       Plan, per-target progress, pending approval and deprovisioning,
                                        and the Temporal UI link to the person's runs; a username also
                                        finds people no longer in the directory (the last run, its outcome, the accounts)
  approvals [--as <approver>]           Runs waiting for an approval (with --as: the ones that approver may decide)
  runs --partial|--conflict|--failed    People whose last run left them short, why, and when idsync tries again
  progress                              How many people are converged, partial, waiting for approval or a start date,
                                        failed or still in progress (from Temporal visibility)
  audit verify [--file <path>]          Check the audit log's hash chain; names the first broken line
  guard status                          The mass-change guard: the held batch (if any), why, recent decisions and refusals
  guard approve|reject --as <operator> [--comment <text>] [--batch <id>]
                                        Release or reject ("not now") the held batch; operators only (synchronous answer)
  reconcile [--target <name>] [--apply] [--wait <seconds>]
                                        Compare every target account with the directory and policy;
                                        reports only, unless --apply (corrections via the person runs)

<person> is a directory anchor, username or email. <run> is a run workflow id (idsync-joiner-...).

Options:
  --config <file>   Configuration file (default: $IDSYNC_CONFIG, else the embedded demo's in .idsync/)
  --json            Machine-readable output
  --help            This text

Exit codes: 0 ok, 1 failed or refused, 2 usage or configuration error.`;

interface Parsed {
  positional: string[];
  options: Map<string, string | true>;
}

const VALUED = new Set(['config', 'as', 'comment', 'wait', 'file', 'batch', 'target']);
const FLAGS = new Set(['json', 'help', 'apply', 'partial', 'conflict', 'failed']);

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      options.set('help', true);
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (FLAGS.has(name)) options.set(name, true);
    else if (VALUED.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { positional, options };
}

function loadConfig(options: Parsed['options']): IdsyncConfig {
  const { embeddedDemoConfigPath } = load<typeof import('../starters/demo-home')>('../starters/demo-home');
  const path = (options.get('config') as string | undefined) ?? process.env.IDSYNC_CONFIG ?? embeddedDemoConfigPath();
  if (!path) throw new UsageError('no configuration: give --config <file> or set IDSYNC_CONFIG (or start the embedded demo with npm start)');
  const { loadConfigFile } = load<typeof import('../app/config')>('../app/config');
  return loadConfigFile(path);
}

function one(positional: string[], what: string): string {
  if (positional.length !== 2) throw new UsageError(`${positional[0]} takes exactly one ${what}`);
  return positional[1]!;
}

async function withClient<T>(config: IdsyncConfig, work: (client: Client) => Promise<T>): Promise<T> {
  const { connectClient } = load<typeof import('../app/temporal-connection')>('../app/temporal-connection');
  const client = await connectClient(config);
  try {
    return await work(client);
  } finally {
    await client.connection.close();
  }
}

async function withDirectory<T>(config: IdsyncConfig, work: (directory: DirectorySource) => Promise<T>): Promise<T> {
  const { createDirectorySource } = load<typeof import('../directory')>('../directory');
  const directory = createDirectorySource(config.directory);
  try {
    return await work(directory);
  } finally {
    await directory.close().catch(() => undefined);
  }
}

const commands = () => load<typeof import('./commands')>('./commands');

export async function run(argv: readonly string[]): Promise<CommandResult> {
  const { positional, options } = parseArgs(argv);
  const command = positional[0];
  if (options.has('help') || !command) return { code: command || options.has('help') ? EXIT.ok : EXIT.usage, text: HELP, json: { help: HELP } };
  switch (command) {
    case 'plan': {
      const who = one(positional, 'person');
      const { buildRuntime, closeRuntime } = load<typeof import('../app/build-runtime')>('../app/build-runtime');
      const { planCommand } = commands();
      const runtime = buildRuntime(loadConfig(options));
      try {
        return await planCommand(runtime, who);
      } finally {
        await closeRuntime(runtime);
      }
    }
    case 'sync': {
      const who = one(positional, 'person');
      const waitSeconds = Number(options.get('wait') ?? 120);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError('--wait takes a number of seconds');
      const config = loadConfig(options);
      const { syncCommand } = commands();
      return withDirectory(config, (directory) => withClient(config, (client) => syncCommand(client, directory, who, waitSeconds * 1000)));
    }
    case 'approve':
    case 'reject': {
      const target = one(positional, 'person or run');
      const approver = options.get('as');
      if (typeof approver !== 'string' || !approver.trim()) throw new UsageError(`${command} needs --as <approver>`);
      const comment = options.get('comment') as string | undefined;
      const config = loadConfig(options);
      const { decideCommand } = commands();
      return withDirectory(config, (directory) => withClient(config, (client) => decideCommand(client, directory, target, command, approver, comment)));
    }
    case 'status': {
      const who = one(positional, 'person');
      const config = loadConfig(options);
      const { statusCommand } = commands();
      const { temporalConnectionSettings } = load<typeof import('../app/config')>('../app/config');
      const ui = { url: config.temporal.uiUrl, namespace: temporalConnectionSettings(config).namespace };
      const { usernameKey, usernameKeySecrets } = load<typeof import('../app/username-key')>('../app/username-key');
      const keys = usernameKeySecrets(config).map((secret) => usernameKey(who, secret));
      return withDirectory(config, (directory) => withClient(config, (client) => statusCommand(client, directory, who, ui, keys)));
    }
    case 'approvals': {
      if (positional.length !== 1) throw new UsageError('approvals takes no argument (use --as <approver>)');
      const as = options.get('as');
      if (as !== undefined && (typeof as !== 'string' || !as.trim())) throw new UsageError('--as needs an approver');
      const config = loadConfig(options);
      const { approvalsCommand } = load<typeof import('./waiting-commands')>('./waiting-commands');
      return withDirectory(config, (directory) => withClient(config, (client) => approvalsCommand(client, directory, config.policy as PolicyConfig, as as string | undefined)));
    }
    case 'runs': {
      const chosen = (['partial', 'conflict', 'failed'] as const).filter((o) => options.has(o));
      if (positional.length !== 1 || chosen.length !== 1) throw new UsageError('runs takes exactly one of --partial, --conflict, --failed');
      const config = loadConfig(options);
      const { runsCommand } = load<typeof import('./waiting-commands')>('./waiting-commands');
      return withClient(config, (client) => runsCommand(client, chosen[0]!));
    }
    case 'progress': {
      if (positional.length !== 1) throw new UsageError('progress takes no argument');
      const config = loadConfig(options);
      const { progressCommand } = load<typeof import('./progress')>('./progress');
      return withClient(config, (client) => progressCommand(client));
    }
    case 'audit': {
      if (positional[1] !== 'verify' || positional.length !== 2) throw new UsageError('audit takes one subcommand: verify');
      const { auditVerifyCommand } = commands();
      return auditVerifyCommand(loadConfig(options), options.get('file') as string | undefined);
    }
    case 'guard': {
      const sub = positional[1];
      if (positional.length !== 2 || (sub !== 'status' && sub !== 'approve' && sub !== 'reject')) throw new UsageError('guard takes one subcommand: status, approve or reject');
      const config = loadConfig(options);
      const { guardDecideCommand, guardStatusCommand } = load<typeof import('./guard-commands')>('./guard-commands');
      if (sub === 'status') return withClient(config, (client) => guardStatusCommand(client));
      const operator = options.get('as');
      if (typeof operator !== 'string' || !operator.trim()) throw new UsageError(`guard ${sub} needs --as <operator>`);
      const batch = options.get('batch') as string | undefined;
      return withClient(config, (client) => guardDecideCommand(client, sub, operator, (options.get('comment') as string | undefined) ?? '', batch));
    }
    case 'reconcile': {
      if (positional.length !== 1) throw new UsageError('reconcile takes no arguments; use --target <name>');
      const waitSeconds = Number(options.get('wait') ?? 3600);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError('--wait takes a number of seconds');
      const target = options.get('target');
      const targets = typeof target === 'string' ? target.split(',').map((t) => t.trim()).filter(Boolean) : [];
      const config = loadConfig(options);
      const unknown = targets.filter((t) => !config.targets[t]);
      if (unknown.length > 0) throw new UsageError(`--target: no target named ${unknown.join(', ')} (configured: ${Object.keys(config.targets).join(', ')})`);
      const { reconcileCommand } = load<typeof import('./reconcile')>('./reconcile');
      return withClient(config, (client) => reconcileCommand(client, { targets, apply: options.has('apply'), waitMs: waitSeconds * 1000 }));
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** A configuration or key-setup problem (exit 2). Their modules are loaded only on this path: they are heavy. */
function isSetupError(err: unknown): boolean {
  const { ConfigError } = load<typeof import('../app/config')>('../app/config');
  const { EncryptionSetupError } = load<typeof import('../app/encryption')>('../app/encryption');
  return err instanceof ConfigError || err instanceof EncryptionSetupError;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const json = argv.includes('--json');
  try {
    const result = await run(argv);
    console.log(json ? JSON.stringify(result.json, null, 2) : result.text);
    return result.code;
  } catch (err) {
    const usage = err instanceof UsageError || isSetupError(err);
    const message = err instanceof UsageError ? `${err.message}\nRun idsync --help for usage.` : (err as Error).message;
    if (json) console.log(JSON.stringify({ error: message }, null, 2));
    else console.error(`idsync: ${message}`);
    return usage ? EXIT.usage : EXIT.failure;
  }
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
