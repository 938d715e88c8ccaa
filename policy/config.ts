import { z } from 'zod';
import { isDuration } from '../lib/duration';
import { atLeast, MINIMUM_GRACE_PERIOD, strictObject } from '../lib/config-schema';
import { compileTemplate, TemplateError } from './template';
import { policyProblems } from './validate';

/**
 * The `policy:` section of idsync's config: directory facts -> access per target.
 * Semantics (scope, conflicts, lifecycle) are documented in config/policy.example.yaml and
 * implemented in policy/desired-state.ts; this file only checks shape and references.
 */

const durationText = z.string().refine(isDuration, { message: 'expected a duration such as 72h, 30d, 15m' });

const ruleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'rule ids are letters, digits, ".", "_" and "-" (e.g. sf-sales-emea), up to 64 characters');

const nonEmpty = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected text') })
  .trim()
  .min(1, 'must not be empty');

const isPlainObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A value that may take several shapes (text, list, object). A plain z.union reports "Invalid input"
 * when all shapes fail; this picks the shape from the input's type and reports that shape's own
 * problems, or says which shapes are accepted.
 */
function byShape<T extends z.ZodType>(expected: string, pick: (value: unknown) => T | undefined) {
  return z.unknown().transform((value, ctx): z.output<T> => {
    const schema = pick(value);
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}` });
      return z.NEVER;
    }
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue), path: issue.path });
    return z.NEVER;
  });
}

/** A template in the attribute-mapping language (policy/template.ts), checked at load time. */
const templateText = z.string().superRefine((text, ctx) => {
  try {
    compileTemplate(text);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/**
 * Matches one person attribute. A string or list: equals one of them (case-insensitive).
 * An object: every given test must hold.
 */
const attributeMatcherObject = strictObject({
  anyOf: z.array(nonEmpty).min(1).optional(),
  noneOf: z.array(nonEmpty).min(1).optional(),
  /** Case-insensitive substring, e.g. title contains "manager". */
  contains: nonEmpty.optional(),
  startsWith: nonEmpty.optional(),
  /** true: the attribute must have a value; false: it must not. */
  present: z.boolean().optional(),
}).refine((m) => Object.keys(m).length > 0, { message: 'give at least one of anyOf, noneOf, contains, startsWith, present' });
export const attributeMatcherSchema = byShape(
  'a value, a list of values, or { anyOf, noneOf, contains, startsWith, present }',
  (v): z.ZodType<string | string[] | z.output<typeof attributeMatcherObject>> | undefined =>
    typeof v === 'string' ? nonEmpty : Array.isArray(v) ? z.array(nonEmpty).min(1, 'list at least one value') : isPlainObject(v) ? attributeMatcherObject : undefined,
);
export type AttributeMatcher = z.infer<typeof attributeMatcherSchema>;

/** Group membership (names as in Person.groups, compared case-insensitively). A list means anyOf. */
const groupMatcherObject = strictObject({
  anyOf: z.array(nonEmpty).min(1).optional(),
  allOf: z.array(nonEmpty).min(1).optional(),
  noneOf: z.array(nonEmpty).min(1).optional(),
}).refine((g) => g.anyOf || g.allOf || g.noneOf, { message: 'give anyOf, allOf or noneOf' });
export const groupMatcherSchema = byShape(
  'a list of groups (any of them) or { anyOf, allOf, noneOf }',
  (v): z.ZodType<string[] | z.output<typeof groupMatcherObject>> | undefined =>
    Array.isArray(v) ? z.array(nonEmpty).min(1, 'list at least one group') : isPlainObject(v) ? groupMatcherObject : undefined,
);
export type GroupMatcher = z.infer<typeof groupMatcherSchema>;

/** Every condition given must hold (AND). Use several rules for OR. `manager` matches the manager's anchor or DN. */
export const conditionSchema = strictObject({
  groups: groupMatcherSchema.optional(),
  department: attributeMatcherSchema.optional(),
  title: attributeMatcherSchema.optional(),
  region: attributeMatcherSchema.optional(),
  businessUnit: attributeMatcherSchema.optional(),
  employeeType: attributeMatcherSchema.optional(),
  manager: attributeMatcherSchema.optional(),
  /** Further directory attributes (Person.extra), by directory attribute name. */
  extra: z.record(z.string().min(1), attributeMatcherSchema).optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const grantSchema = strictObject({
  kind: nonEmpty,
  name: nonEmpty,
  /** Privileged grants wait for an approval (see approvals) before they are applied. */
  privileged: z.boolean().default(false),
});
export type Grant = z.infer<typeof grantSchema>;

/** One grant or a list; kept as written so problems can point at `grant.kind` or `grant[1].kind`. */
const grantsSchema = byShape(
  'a grant { kind, name, privileged } or a list of them',
  (v): z.ZodType<Grant | Grant[]> | undefined =>
    Array.isArray(v) ? z.array(grantSchema).min(1, 'list at least one grant') : isPlainObject(v) ? grantSchema : undefined,
);
export type Grants = z.infer<typeof grantsSchema>;

export const scopeRuleSchema = strictObject({
  id: ruleId,
  description: z.string().optional(),
  /** Absent: everyone (of the default employee types). */
  when: conditionSchema.optional(),
  /** Refuse people without a leave date (typical for contractors and partners): reported as a problem. */
  requireEndDate: z.boolean().default(false),
});
export type ScopeRule = z.infer<typeof scopeRuleSchema>;

export const entitlementRuleSchema = strictObject({
  id: ruleId,
  description: z.string().optional(),
  /** Absent: applies to everyone in scope. */
  when: conditionSchema.optional(),
  grant: grantsSchema,
  /**
   * For single-valued kinds (profile, role, primaryTeam): the highest priority wins; on a tie the
   * rule listed first wins and the loss is reported as a conflict. Birthright always loses to a rule.
   */
  priority: z.number().int().default(0),
});
export type EntitlementRule = z.infer<typeof entitlementRuleSchema>;

/** A template, a literal value, or a template that must render (missing -> a problem, target not provisioned). */
const requiredTemplate = strictObject({ template: templateText, required: z.boolean().default(false) });
export const attributeSpecSchema = byShape(
  'a template string, a number, true/false, null, or { template, required }',
  (v): z.ZodType<string | number | boolean | null | z.output<typeof requiredTemplate>> | undefined =>
    typeof v === 'string' ? templateText : typeof v === 'number' ? z.number() : typeof v === 'boolean' ? z.boolean() : v === null ? z.null() : isPlainObject(v) ? requiredTemplate : undefined,
);
export type AttributeSpec = z.infer<typeof attributeSpecSchema>;

export const targetPolicySchema = strictObject({
  /** Who gets an account: in scope when any rule matches (and no `exclude` rule does). */
  scope: z.array(scopeRuleSchema),
  /** Takes precedence over `scope`. */
  exclude: z.array(scopeRuleSchema).default([]),
  /** Entitlements for everyone in scope; the fallback for single-valued kinds. */
  birthright: strictObject({ id: ruleId, grant: grantsSchema }).optional(),
  rules: z.array(entitlementRuleSchema).default([]),
  /** Account core fields; defaults: username and email "{email | lower}", names from the directory. */
  account: strictObject({
    username: templateText.optional(),
    email: templateText.optional(),
    givenName: templateText.optional(),
    familyName: templateText.optional(),
  }).default({}),
  /** Target-specific attributes in the target's vocabulary (Salesforce: Alias, TimeZoneSidKey, ...). */
  attributes: z.record(z.string().min(1), attributeSpecSchema).default({}),
  /**
   * PingFederate's "Provision disabled users": people in scope whose directory account is disabled
   * get an inactive account here, without any access (instead of none at all). A leave date that
   * has passed still takes them out of scope.
   */
  provisionDisabledUsers: z.boolean().default(false),
});
export type TargetPolicy = z.infer<typeof targetPolicySchema>;

export const approvalsSchema = strictObject({
  approvers: strictObject({
    /** The person's manager (by anchor) may approve. */
    manager: z.boolean().default(true),
    /** Members of these directory groups may approve. */
    groups: z.array(nonEmpty).default([]),
  })
    .default({ manager: true, groups: [] })
    .refine((a) => a.manager || a.groups.length > 0, {
      message: 'nobody could approve privileged grants: set manager: true or list approver groups',
    }),
  /**
   * Unanswered requests expire (the grant is not applied) after this long. At least 5m: a person
   * has to see the request and answer it; a shorter deadline rejects every privileged grant unread.
   */
  deadline: atLeast(durationText, '5m').default('72h'),
}).default({ approvers: { manager: true, groups: [] }, deadline: '72h' });
export type ApprovalsPolicy = z.infer<typeof approvalsSchema>;

const personDateField = z
  .string()
  .regex(/^(startDate|endDate|extra\.[A-Za-z][A-Za-z0-9_.-]*)$/, 'use startDate, endDate or extra.<attribute>');

export const lifecycleSchema = strictObject({
  /** Which Person field carries the start date (Person.startDate or extra.<attribute>). */
  startDate: personDateField.default('startDate'),
  /** Which Person field carries the leave date; once it has passed the person is out of scope everywhere. */
  endDate: personDateField.default('endDate'),
  /** Future starters: create accounts inactive ahead of time (true) or wait for the start date (false). */
  preCreateInactive: z.boolean().default(true),
  /** Pre-create only when the start is at most this far ahead; later starters wait. Absent: no limit. */
  preCreateWindow: durationText.optional(),
  /** Per-target override of targets.<name>.gracePeriod (suspend -> remove); the same floor applies. */
  gracePeriod: z.record(z.string().min(1), atLeast(durationText, MINIMUM_GRACE_PERIOD)).default({}),
}).default({ startDate: 'startDate', endDate: 'endDate', preCreateInactive: true, gracePeriod: {} });
export type LifecyclePolicy = z.infer<typeof lifecycleSchema>;

export const employeeTypesSchema = strictObject({
  /**
   * Scope rules that do not test employeeType admit only these types, so contractors and
   * partners get access only through rules written for them.
   */
  default: z.array(nonEmpty).min(1).default(['employee']),
  /** The type assumed when the directory gives none. */
  whenMissing: nonEmpty.default('employee'),
}).default({ default: ['employee'], whenMissing: 'employee' });

const requiredMessage = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${message}` : undefined);

const normalizedFields = {
  department: nonEmpty.optional(),
  title: nonEmpty.optional(),
  region: nonEmpty.optional(),
  businessUnit: nonEmpty.optional(),
  employeeType: nonEmpty.optional(),
};

/** One normalisation section (policy/normalize.ts): who it applies to, and what it rewrites. */
export const normalizeSectionSchema = strictObject({
  id: ruleId,
  description: z.string().optional(),
  /** People at or below this directory DN, e.g. an acquired company's subtree. */
  subtree: nonEmpty.optional(),
  /** People whose business unit matches (as the directory has it, or as an earlier section set it). */
  businessUnit: attributeMatcherSchema.optional(),
  /** Field -> name of a table under policy.maps; values without an entry are kept. */
  map: strictObject(normalizedFields).optional(),
  /** Field -> fixed value. */
  set: strictObject(normalizedFields).optional(),
}).refine((s) => s.subtree !== undefined || s.businessUnit !== undefined, { message: 'give subtree or businessUnit (or both): whom the section normalises' });

export const policyConfigSchema = strictObject(
  {
    /** Lookup tables for the `map:<name>` template filter, e.g. region -> Salesforce TimeZoneSidKey. */
    maps: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'map names are letters, digits, "_" and "-"'), z.record(z.string(), z.string()))
      .default({}),
    /** Per business unit or directory subtree: field values rewritten before any rule runs (policy/normalize.ts). */
    normalize: z.array(normalizeSectionSchema).default([]),
    employeeTypes: employeeTypesSchema,
    approvals: approvalsSchema,
    lifecycle: lifecycleSchema,
    /** Keyed by target name (the keys under `targets:`). */
    targets: z.record(z.string().min(1), targetPolicySchema, {
      error: requiredMessage('one entry per target name, e.g. targets: { salesforce: { scope: [...] } }'),
    }),
  },
  { error: requiredMessage('the access policy (see config/policy.example.yaml)') },
).superRefine((policy, ctx) => {
    for (const problem of policyProblems(policy)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export { validatePolicyAgainstTargets, validatePolicyAgainstCatalog } from './validate';
