import { z } from 'zod';
import { isDuration, parseDuration } from './duration';

/**
 * Building blocks shared by every section of the config file (app/config.ts, directory/, policy/,
 * targets/): objects that refuse keys they do not know, inline secrets refused where an `...Env`
 * field belongs, and durations with a floor. A typo must fail at start, never be silently ignored.
 */

/** Keys that name a secret's value; the config file only ever names the environment variable holding it. */
const SECRET_LOOKING_KEY = /secret|passw(or)?d|token|api_?key|private_?key|credential/i;

/**
 * Edit distance with adjacent transpositions (optimal string alignment): "targts" -> "targets" is 1,
 * "pollIntreval" -> "pollInterval" is 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The allowed key the writer most likely meant, compared case-insensitively: at most one edit for
 * short keys, up to three for long ones, so unrelated keys are never offered.
 */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  const folded = key.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of allowed) {
    const distance = editDistance(folded, candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/**
 * What is wrong with `key` where only `allowed` keys may appear. Built from key names only, so a
 * secret written inline is never echoed.
 */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const envVariant = allowed.find((k) => k.toLowerCase() === `${key}env`.toLowerCase());
  // A key naming a secret's value; one mentioning "env" is a misspelt ...Env field, handled as a typo.
  const looksLikeSecret = SECRET_LOOKING_KEY.test(key) && !/env/i.test(key);
  if (envVariant || looksLikeSecret) {
    const envField = envVariant ?? closestEnvField(key, allowed.filter((k) => k.endsWith('Env')));
    return envField
      ? `inline secrets are refused: put the value in an environment variable and name that variable in ${envField}`
      : 'unknown key; secrets never go in the config file, only the names of the environment variables that hold them (fields ending in Env)';
  }
  const suggestion = closestKey(key, allowed);
  return suggestion ? `unknown key; did you mean ${suggestion}?` : `unknown key; allowed here: ${allowed.join(', ')}`;
}

function closestEnvField(key: string, envFields: readonly string[]): string | undefined {
  const wanted = `${key}Env`.toLowerCase();
  return [...envFields].sort((a, b) => editDistance(wanted, a.toLowerCase()) - editDistance(wanted, b.toLowerCase()))[0];
}

/**
 * z.strictObject with better news: each unknown key is its own problem at its own path
 * ("targts: unknown key; did you mean targets?"), and an inline secret where an `...Env` field
 * belongs says so. Same signature as z.strictObject, so a section converts by changing one import.
 * Suggestions come from `shape`: to add fields, build a new strictObject rather than .extend() one.
 */
export function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape, params?: string | z.core.$ZodObjectParams): z.ZodObject<Shape, z.core.$strict> {
  const allowed = Object.keys(shape);
  // The catchall sees every key the shape lacks; the path the message is built from ends with that key.
  const unknownKey = z.custom<never>(() => false, { error: (issue) => unknownKeyMessage(String(issue.path?.at(-1) ?? ''), allowed) });
  // Typed as a strict object: the catchall only ever fails, so it adds nothing to the parsed type.
  return z.object(shape, params).catchall(unknownKey) as unknown as z.ZodObject<Shape, z.core.$strict>;
}

/** The name of an environment variable (the value is read at start-up), never the secret itself. */
export const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable NAME (the value is read at start-up)');

/** A malformed value counts as long enough: the schema itself reports it, once. */
function milliseconds(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && isDuration(value) ? parseDuration(value) : Number.POSITIVE_INFINITY;
}

/**
 * Refuses a duration (milliseconds, or text such as "2s" kept as written) shorter than `minimum`.
 * Each caller says why its minimum is what it is.
 */
export function atLeast<T extends z.ZodType<string | number>>(schema: T, minimum: string): T {
  const minimumMs = parseDuration(minimum);
  return schema.refine((value) => milliseconds(value) >= minimumMs, { message: `must be at least ${minimum}` });
}

/**
 * Floor of every grace period (targets.<name>.gracePeriod, policy.lifecycle.gracePeriod.<name>).
 * Access is already cut when a leaver is suspended, so a shorter wait before removal buys no
 * security; the wait is the window in which a mistaken leaver (an HR error, a wrong base DN) is
 * undone by a rehire without losing the account, and removal cannot be undone in most targets.
 */
export const MINIMUM_GRACE_PERIOD = '1h';
