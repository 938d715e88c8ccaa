import { FilterParser } from 'ldapts';
import { z } from 'zod';
import { isDuration, parseDuration } from '../lib/duration';
import { atLeast, envVarName, strictObject } from '../lib/config-schema';
import { TASK_QUEUES } from '../lib/names';
import { scimDirectorySchema, scimEndpointSchema } from '../inbound/scim/config';

const DURATION_HINT = 'expected a duration such as 2s, 500ms, 5m';

/**
 * Accepts "2s", "500ms" or a number of milliseconds; always yields milliseconds. Text is checked
 * after the union so a malformed duration says so (a union alone reports only "Invalid input").
 */
const durationMs = z
  .union([z.number().int().nonnegative(), z.string()], { error: `${DURATION_HINT} (or a whole number of milliseconds)` })
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    if (isDuration(value)) return parseDuration(value);
    ctx.addIssue({ code: 'custom', message: DURATION_HINT });
    return z.NEVER;
  });

/** Why a configured LDAP filter cannot be combined with idsync's own clauses, or null when it can. */
function ldapFilterProblem(text: string): string | null {
  if (!text.startsWith('(') || !text.endsWith(')')) return 'an LDAP filter must be wrapped in parentheses, e.g. (objectClass=person)';
  // Parentheses inside values must be escaped (\28, \29), so raw ones are all structure and must pair up.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i !== text.length - 1) return 'an LDAP filter is one parenthesised expression; combine several with (&...) or (|...)';
    if (depth < 0) return 'unbalanced parentheses';
  }
  if (depth !== 0) return 'unbalanced parentheses';
  try {
    FilterParser.parseString(text);
    return null;
  } catch (err) {
    return `not a valid LDAP filter: ${(err as Error).message.replace(/\. Full string: .*$/, '')}`;
  }
}

/** Trusted configuration text, checked at start-up so a typo is a config error, not a failing poll. */
const ldapFilter = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const problem = ldapFilterProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Person field -> directory attribute. Every field is optional: a preset fills the rest. */
export const attributeMappingSchema = strictObject({
  anchor: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  givenName: z.string().min(1).optional(),
  familyName: z.string().min(1).optional(),
  displayName: z.string().min(1).optional(),
  employeeId: z.string().min(1).optional(),
  employeeType: z.string().min(1).optional(),
  department: z.string().min(1).optional(),
  title: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  businessUnit: z.string().min(1).optional(),
  manager: z.string().min(1).optional(),
  startDate: z.string().min(1).optional(),
  endDate: z.string().min(1).optional(),
  /** Further attributes copied into Person.extra under their directory name. */
  extra: z.array(z.string().min(1)).optional(),
});
export type AttributeMapping = z.infer<typeof attributeMappingSchema>;

/**
 * How a disabled account is recognised; any matching rule disables. `values`: the attribute holds one of
 * them (case-insensitive); `present`: the attribute exists at all (pwdAccountLockedTime).
 */
export const disabledRuleSchema = strictObject({
  attribute: z.string().min(1),
  values: z.array(z.string()).optional(),
  present: z.boolean().default(false),
  /** Disabled when the integer value has any of these bits set (AD userAccountControl: 2). */
  bitmask: z.number().int().positive().optional(),
  /** Disabled when the value is a date (GeneralizedTime or AD FILETIME) in the past (AD accountExpires). */
  expired: z.boolean().default(false),
});
export type DisabledRule = z.infer<typeof disabledRuleSchema>;

export const ldapDirectorySchema = strictObject({
  kind: z.literal('ldap'),
  /** ldap://host:389 or ldaps://host:636. */
  url: z.string().regex(/^ldaps?:\/\//, 'expected ldap://host:port or ldaps://host:port'),
  preset: z.enum(['openldap', 'activeDirectory', 'otds']).default('openldap'),
  bindDn: z.string().min(1).optional(),
  /** Name of the environment variable holding the bind password, never the password itself. */
  bindPasswordEnv: envVarName.optional(),
  tls: strictObject({
    startTls: z.boolean().default(false),
    caFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
  }).default({ startTls: false, rejectUnauthorized: true }),
  people: strictObject({
    baseDn: z.string().min(1),
    /** Trusted configuration text; never built from directory or request data. */
    filter: ldapFilter.optional(),
    scope: z.enum(['one', 'sub']).default('sub'),
  }),
  groups: strictObject({
    baseDn: z.string().min(1),
    filter: ldapFilter.optional(),
    scope: z.enum(['one', 'sub']).default('sub'),
    /** How many levels of groups-inside-groups count as membership. 0 = direct only. */
    nestingDepth: z.number().int().min(0).max(20).default(5),
  }).optional(),
  attributes: attributeMappingSchema.default({}),
  /** Overrides the preset's disabled rule (OpenLDAP default: pwdAccountLockedTime present). */
  disabled: z.array(disabledRuleSchema).optional(),
  /** Change-tracking attribute; default per preset (entryCSN, uSNChanged, modifyTimestamp). */
  changeAttribute: z.enum(['entryCSN', 'uSNChanged', 'modifyTimestamp']).optional(),
  /** Re-read this far before the cursor so entries committed out of order are not missed (repeats are dropped). */
  changeLookback: durationMs.default(5000),
  pageSize: z.number().int().min(1).max(10_000).default(500),
  timeoutMs: z.number().int().positive().default(30_000),
  /**
   * How full scans (listing everyone, presence checks) read entries. 'stream' (default) uses idsync's
   * streaming decoder on a connection of its own, about twice as fast as ldapts at 100,000 people;
   * 'ldapts' reads them through ldapts like every other search.
   */
  scanReader: z.enum(['stream', 'ldapts']).default('stream'),
});
export type LdapDirectoryConfig = z.infer<typeof ldapDirectorySchema>;

/** OAuth2 client credentials (POST /otdsws/oauth2/token), instead of a user name and password. */
const otdsOAuth2Schema = strictObject({
  clientId: z.string().min(1),
  /** Name of the environment variable holding the client secret, never the secret itself. */
  clientSecretEnv: envVarName,
  /** Optional OAuth2 scope to ask for. */
  scope: z.string().min(1).optional(),
});

export const otdsDirectorySchema = strictObject({
  kind: z.literal('otds'),
  /** e.g. https://otds.example.com (the /otdsws/... paths are added). */
  baseUrl: z.string().url(),
  /** Credentials authentication (an OTDS SSO ticket): username + passwordEnv; or oauth2 instead. */
  username: z.string().min(1).optional(),
  passwordEnv: envVarName.optional(),
  oauth2: otdsOAuth2Schema.optional(),
  /** Restrict to one user partition (where_partition_name); absent = every partition the account may read. */
  partition: z.string().min(1).optional(),
  /**
   * Which users OTDS returns (where_state). 'all' (default) keeps disabled users in every read, so a
   * disabled account is a leaver "disabled"; 'enabled' leaves them out, so they look deleted.
   */
  state: z.enum(['all', 'enabled']).default('all'),
  /** Users or groups per request (page_size). OTDS has no total limit; every page is read. */
  pageSize: z.number().int().min(1).max(1000).default(250),
  nestingDepth: z.number().int().min(0).max(20).default(5),
  attributes: attributeMappingSchema.default({}),
  /** Default: accountDisabled = true (what OTDS's REST API reports per user). */
  disabled: z.array(disabledRuleSchema).optional(),
  timeoutMs: z.number().int().positive().default(30_000),
}).superRefine((config, ctx) => {
  const credentials = config.username !== undefined || config.passwordEnv !== undefined;
  if (credentials && config.oauth2) {
    ctx.addIssue({ code: 'custom', path: ['oauth2'], message: 'choose one authentication: username + passwordEnv, or oauth2' });
  } else if (!config.oauth2) {
    if (!config.username) ctx.addIssue({ code: 'custom', path: ['username'], message: 'required (or configure oauth2 client credentials instead)' });
    if (!config.passwordEnv) ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'required (or configure oauth2 client credentials instead)' });
  }
});
export type OtdsDirectoryConfig = z.infer<typeof otdsDirectorySchema>;

export const directoryConfigSchema = z.discriminatedUnion('kind', [ldapDirectorySchema, otdsDirectorySchema, scimDirectorySchema]);
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;

/** Tighter limits for one source of deprovisioning; the totals above still apply to all sources together. */
const guardSourceLimitsSchema = strictObject({
  maxLeavers: z.number().int().min(0).optional(),
  maxLeaverPercent: z.number().min(0).max(100).optional(),
});

/**
 * The one mass-change guard. Every path that cuts access asks it first: the watcher's leavers, the
 * intake's leavers, reconciliation's corrections and suspensions (and access-review revocations
 * when they exist). The directory watcher workflow hosts it, so it lives in the watcher's section.
 */
export const guardConfigSchema = strictObject({
  /** More leavers and suspensions than this within the window, all sources together, are held for approval. */
  maxLeavers: z.number().int().min(0).default(25),
  /** ... or more than this share (percent) of the last snapshot. */
  maxLeaverPercent: z.number().min(0).max(100).default(5),
  /** A scan returning fewer than this percent of the last snapshot's people holds every leaver. */
  minPeoplePercent: z.number().min(0).max(100).default(50),
  /** Percentage rules only apply from this snapshot size on (tiny directories churn in big relative steps). */
  minSnapshotForPercent: z.number().int().min(0).default(50),
  /**
   * Leavers released within this sliding window count together, so a mass deletion split over several
   * polls is held like one made in a single poll.
   */
  window: durationMs.default(15 * 60_000),
  /** Rejected removals are "not now": still gone from the directory after this long, they come back as a new batch. */
  rejectRecheckAfter: durationMs.default(24 * 3_600_000),
  /** Directory groups whose enabled members may approve or reject a held batch; anyone else is refused and audited. */
  operatorGroups: z.array(z.string().min(1)).min(1).default(['idsync-operators']),
  /** Per-source limits (watcher, intake, reconcile, review; groups: directory groups deleted from the targets), counted over the same window. */
  sources: strictObject({
    watcher: guardSourceLimitsSchema.optional(),
    intake: guardSourceLimitsSchema.optional(),
    reconcile: guardSourceLimitsSchema.optional(),
    review: guardSourceLimitsSchema.optional(),
    groups: guardSourceLimitsSchema.optional(),
  }).optional(),
});

/** Watcher settings with every default applied; read them through resolveWatcherConfig. */
export const watcherSettingsSchema = strictObject({
  pollInterval: durationMs.default(2000),
  /** Cheap anchors-only scan that proves deletions / scope loss. */
  presenceScanInterval: durationMs.default(10_000),
  /** Full re-read of everyone, catching drift that change tracking cannot see (refint, group deletes). */
  fullScanInterval: durationMs.default(300_000),
  /** Cursor + snapshot live here (atomic generation files), never in workflow history. */
  stateDir: z.string().min(1).default('.idsync/watcher'),
  /** First baseline: record everyone silently (default) or start a joiner per enabled person. */
  baseline: z.enum(['silent', 'joiners']).default('silent'),
  pollsPerRun: z.number().int().min(1).default(200),
  guard: guardConfigSchema.default({ maxLeavers: 25, maxLeaverPercent: 5, minPeoplePercent: 50, minSnapshotForPercent: 50, window: 15 * 60_000, rejectRecheckAfter: 24 * 3_600_000, operatorGroups: ['idsync-operators'] }),
});
export type WatcherSettings = z.infer<typeof watcherSettingsSchema>;
export type GuardConfig = z.infer<typeof guardConfigSchema>;

/**
 * The config-file section: every field optional, so the top-level loader may default the whole
 * block to {}. Consumers call resolveWatcherConfig to get the defaults filled in.
 *
 * Floors apply to what is written in the file; resolveWatcherConfig stays open because tests and
 * benchmarks drive the poller faster on purpose (e.g. a presence scan on every poll).
 * - pollInterval >= 100ms: every poll is a directory search plus an activity in the watcher's
 *   history; polling faster only loads the directory and Temporal, it does not notice changes sooner
 *   than the directory commits them. 0 would be a busy loop.
 * - presenceScanInterval >= 1s: each presence scan reads every anchor in scope.
 * - fullScanInterval >= 1m: each full scan re-reads every person with every attribute (seconds of
 *   directory load at 100,000 people).
 */
export const watcherConfigSchema = watcherSettingsSchema.partial().extend({
  pollInterval: atLeast(durationMs, '100ms').optional(),
  presenceScanInterval: atLeast(durationMs, '1s').optional(),
  fullScanInterval: atLeast(durationMs, '1m').optional(),
  // Removed settings, refused by name with the reason (not as unknown keys): they were accepted but
  // could only break things, since every worker polls the fixed queues of lib/names.ts.
  orchestrationTaskQueue: removedSetting(`no worker polls any queue but ${TASK_QUEUES.orchestration}, so the watcher's events sent elsewhere would never run; delete this line`),
  directoryTaskQueue: removedSetting(`directory activities always run on ${TASK_QUEUES.directory}, the queue the workers poll; delete this line`),
});

/** A key that is no longer a setting: any value is an error that says it was removed and why. */
function removedSetting(why: string) {
  return z.never({ error: `removed setting: ${why}` }).optional();
}
export type WatcherConfig = z.infer<typeof watcherConfigSchema>;

export function resolveWatcherConfig(raw: WatcherConfig | undefined): WatcherSettings {
  return watcherSettingsSchema.parse(raw ?? {});
}

/** An intake source's request budget (token bucket): over it, 429 with Retry-After. */
const intakeRateLimitSchema = z.strictObject({
  /** Sustained requests per second; fractions allowed (0.2 = one every 5 s). */
  perSecond: z.number().positive().max(10_000),
  /** Requests accepted at once after a quiet period. */
  burst: z.number().int().min(1).max(100_000),
});

/** A named push source: its own secret (which is what identifies it), authority and budget. */
const intakeSourceSchema = z.strictObject({
  hmacSecretEnv: envVarName,
  /**
   * The source is the record of truth for person data: a joiner / mover / rehire for someone the
   * directory does not have is provisioned from the pushed `person` instead of being refused (422).
   */
  authoritative: z.boolean().default(false),
  /** Default: intake.rateLimit. */
  rateLimit: intakeRateLimitSchema.optional(),
});
/** Checked on the record rather than as its key schema, so each problem is reported under the source's own path. */
const intakeSources = z.record(z.string(), intakeSourceSchema).superRefine((sources, ctx) => {
  for (const name of Object.keys(sources)) {
    if (name === 'default') ctx.addIssue({ code: 'custom', path: [name], message: '"default" is the source signed with intake.hmacSecretEnv; choose another name' });
    else if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a source name is lower-case letters, digits, _ and - (max 63)' });
  }
});

export const intakeConfigSchema = strictObject({
  port: z.number().int().min(0).max(65535).default(8787),
  host: z.string().min(1).default('127.0.0.1'),
  /** Name of the environment variable holding the HMAC-SHA256 secret. */
  hmacSecretEnv: envVarName,
  /** Requests per source, unless the source sets its own: a token bucket. */
  rateLimit: intakeRateLimitSchema.default({ perSecond: 10, burst: 50 }),
  /**
   * Further senders, chosen by the x-idsync-source header; each signs with its own secret. Requests
   * without the header are the "default" source, signed with hmacSecretEnv.
   */
  sources: intakeSources.default({}),
  /**
   * Requests whose timestamp is further than this from now are refused as replays. At least 1s:
   * the signed timestamp has whole-second resolution, so less would refuse correctly signed requests.
   */
  maxClockSkew: atLeast(durationMs, '1s').default(300_000),
  maxBodyBytes: z.number().int().positive().default(256 * 1024),
  /**
   * Inbound SCIM 2.0 beside the directory: identity providers push users, which become identity
   * events as from an authoritative source (inbound/scim). With directory.kind scim, configure the
   * endpoint there instead.
   */
  scim: scimEndpointSchema.optional(),
});
export type IntakeConfig = z.infer<typeof intakeConfigSchema>;
