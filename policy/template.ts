import type { Person } from '../domain/person';

/**
 * The attribute-mapping template language. Deliberately tiny and evaluated by hand (no eval, no
 * regex from config), so a policy file cannot run code and the result is a pure function of the person.
 *
 *   "{givenName | ascii | lower | first:1}{familyName | ascii | lower | first:7}"
 *   "{username | lower}@corp.example.com"
 *   "{region | map:regionTimeZone | default:Europe/London}"
 *   "{extra.costCenter}"
 *
 * Text outside braces is literal; `{{` and `}}` are literal braces. A placeholder is a field reference
 * followed by filters separated by `|`; a filter argument follows a colon and runs to the next `|`.
 * A value that is absent or empty is *missing*; filters skip missing values except `default`, and a
 * template with any missing placeholder renders as missing as a whole, so "{givenName} {familyName}"
 * never yields a half-name.
 */

/** Person fields a template may reference (string-valued ones); `extra.<attribute>` reaches Person.extra. */
export const TEMPLATE_FIELDS = [
  'anchor',
  'dn',
  'username',
  'email',
  'givenName',
  'familyName',
  'displayName',
  'employeeId',
  'employeeType',
  'department',
  'title',
  'region',
  'businessUnit',
  'managerAnchor',
  'managerDn',
  'startDate',
  'endDate',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export interface TemplateFilter {
  name: string;
  arg?: string;
}

export type TemplatePart = { literal: string } | { ref: string; filters: TemplateFilter[] };

export interface CompiledTemplate {
  source: string;
  parts: TemplatePart[];
}

/** Lookup tables named in `policy.maps`, used by the `map:<name>` filter. */
export type TemplateMaps = Readonly<Record<string, Readonly<Record<string, string>>>>;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type FilterSpec = { arg: 'none' | 'count' | 'text'; apply: (value: string, arg: string, maps: TemplateMaps) => string | undefined };

// Letters NFKD cannot decompose into ASCII; kept short on purpose (common European names).
const TRANSLITERATIONS: Record<string, string> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', ø: 'o', Ø: 'O', œ: 'oe', Œ: 'OE', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', þ: 'th', Þ: 'Th', ð: 'd', Ð: 'D', ı: 'i',
};

/** Strips diacritics ("Zoë Ångström" -> "Zoe Angstrom") and drops what has no ASCII form. */
export function toAscii(value: string): string {
  const replaced = [...value].map((ch) => TRANSLITERATIONS[ch] ?? ch).join('');
  return replaced
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '');
}

const FILTERS: Record<string, FilterSpec> = {
  lower: { arg: 'none', apply: (v) => v.toLowerCase() },
  upper: { arg: 'none', apply: (v) => v.toUpperCase() },
  trim: { arg: 'none', apply: (v) => v.trim() },
  ascii: { arg: 'none', apply: (v) => toAscii(v) },
  /** Letters and digits only: "O'Brien-Smith" -> "OBrienSmith" (aliases, nicknames). */
  alnum: { arg: 'none', apply: (v) => v.replace(/[^A-Za-z0-9]/g, '') },
  /** First N characters (code points, so a diacritic never splits). */
  first: { arg: 'count', apply: (v, n) => [...v].slice(0, Number(n)).join('') },
  /** Same as first:N; reads better where the intent is a maximum length. */
  truncate: { arg: 'count', apply: (v, n) => [...v].slice(0, Number(n)).join('') },
  last: { arg: 'count', apply: (v, n) => [...v].slice(-Number(n)).join('') },
  /** The part of an email before the @. */
  localpart: { arg: 'none', apply: (v) => (v.includes('@') ? v.slice(0, v.lastIndexOf('@')) : v) },
  domain: { arg: 'none', apply: (v) => (v.includes('@') ? v.slice(v.lastIndexOf('@') + 1) : undefined) },
  /** Exact key first, then case-insensitive; no entry -> missing (chain `default:` for a fallback). */
  map: {
    arg: 'text',
    apply: (v, name, maps) => {
      const table = maps[name] ?? {};
      if (Object.prototype.hasOwnProperty.call(table, v)) return table[v];
      const key = Object.keys(table)
        .sort()
        .find((k) => k.toLowerCase() === v.toLowerCase());
      return key === undefined ? undefined : table[key];
    },
  },
  default: { arg: 'text', apply: (v) => v },
};

export const TEMPLATE_FILTER_NAMES = Object.keys(FILTERS).sort();

function isKnownRef(ref: string): boolean {
  if (ref.startsWith('extra.')) return /^extra\.[A-Za-z][A-Za-z0-9_.-]*$/.test(ref);
  return (TEMPLATE_FIELDS as readonly string[]).includes(ref);
}

function parseFilter(text: string, source: string): TemplateFilter {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const arg = colon < 0 ? undefined : text.slice(colon + 1).trim();
  const spec = FILTERS[name];
  if (!spec) throw new TemplateError(`unknown filter "${name}" in "${source}"; filters: ${TEMPLATE_FILTER_NAMES.join(', ')}`);
  if (spec.arg === 'none' && arg !== undefined) throw new TemplateError(`filter "${name}" takes no argument in "${source}"`);
  if (spec.arg === 'count' && !(arg !== undefined && /^[1-9]\d{0,3}$/.test(arg))) {
    throw new TemplateError(`filter "${name}" needs a positive count, e.g. ${name}:8, in "${source}"`);
  }
  if (spec.arg === 'text' && !arg) throw new TemplateError(`filter "${name}" needs an argument, e.g. ${name}:value, in "${source}"`);
  return arg === undefined ? { name } : { name, arg };
}

/** Parses a template; throws TemplateError with a message that quotes the template. */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if ((ch === '{' || ch === '}') && source[i + 1] === ch) {
      literal += ch;
      i += 2;
      continue;
    }
    if (ch === '}') throw new TemplateError(`unmatched "}" in "${source}" (write "}}" for a literal brace)`);
    if (ch !== '{') {
      literal += ch;
      i += 1;
      continue;
    }
    const close = source.indexOf('}', i + 1);
    if (close < 0) throw new TemplateError(`unclosed "{" in "${source}"`);
    const body = source.slice(i + 1, close);
    if (body.includes('{')) throw new TemplateError(`nested "{" in "${source}"`);
    const [refText, ...filterTexts] = body.split('|');
    const ref = refText!.trim();
    if (!isKnownRef(ref)) {
      throw new TemplateError(`unknown field "${ref}" in "${source}"; use one of ${TEMPLATE_FIELDS.join(', ')} or extra.<attribute>`);
    }
    if (literal) parts.push({ literal });
    literal = '';
    parts.push({ ref, filters: filterTexts.map((f) => parseFilter(f, source)) });
    i = close + 1;
  }
  if (literal) parts.push({ literal });
  return { source, parts };
}

/** Map names a template uses, so config validation can check they exist. */
export function templateMapNames(template: CompiledTemplate): string[] {
  return template.parts.flatMap((p) => ('ref' in p ? p.filters.filter((f) => f.name === 'map').map((f) => f.arg!) : []));
}

/** Reads a field reference from the person; multi-valued extra attributes yield their first value. */
export function readPersonField(person: Person, ref: string): string | undefined {
  let raw: unknown;
  if (ref.startsWith('extra.')) {
    const name = ref.slice('extra.'.length);
    const value = Object.prototype.hasOwnProperty.call(person.extra ?? {}, name) ? person.extra[name] : undefined;
    raw = Array.isArray(value) ? value[0] : value;
  } else {
    raw = (person as unknown as Record<string, unknown>)[ref];
  }
  return typeof raw === 'string' && raw !== '' ? raw : undefined;
}

export interface RenderResult {
  /** Undefined when any placeholder is missing. */
  value?: string;
  /** References whose value was missing (after filters), for problem messages. */
  missing: string[];
}

export function renderTemplate(template: CompiledTemplate, person: Person, maps: TemplateMaps): RenderResult {
  let out = '';
  const missing: string[] = [];
  for (const part of template.parts) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    let value = readPersonField(person, part.ref);
    for (const filter of part.filters) {
      if (filter.name === 'default') {
        if (value === undefined) value = filter.arg;
        continue;
      }
      if (value === undefined) continue;
      const next = FILTERS[filter.name]!.apply(value, filter.arg ?? '', maps);
      value = next === undefined || next === '' ? undefined : next;
    }
    if (value === undefined) missing.push(part.ref);
    else out += value;
  }
  return missing.length > 0 ? { missing } : { value: out, missing };
}
