/**
 * SCIM filter parsing and evaluation (RFC 7644 §3.4.2.2) for the emulator. scimmy's own Filter
 * compares strings case-sensitively and accepts garbage, so the emulator owns filtering: attribute
 * names and operators are case-insensitive, string values follow each attribute's caseExact flag,
 * and anything outside the supported grammar or attribute list is a 400 invalidFilter.
 */

export class InvalidFilterError extends Error {}

type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
type Literal = string | number | boolean | null;

export type FilterNode =
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'not'; inner: FilterNode }
  | { type: 'present'; path: string }
  | { type: 'compare'; path: string; op: CompareOp; value: Literal }
  | { type: 'valuePath'; path: string; inner: FilterNode };

/** Filterable attributes per resource type, with their caseExact flag (RFC 7643 §4, §8.7.1). */
export interface FilterableAttributes {
  [lowerCasePath: string]: { caseExact: boolean };
}

export const USER_FILTER_ATTRIBUTES: FilterableAttributes = {
  id: { caseExact: true },
  externalid: { caseExact: true },
  username: { caseExact: false },
  displayname: { caseExact: false },
  active: { caseExact: false },
  title: { caseExact: false },
  'name.givenname': { caseExact: false },
  'name.familyname': { caseExact: false },
  emails: { caseExact: false },
  'emails.value': { caseExact: false },
  'emails.type': { caseExact: false },
  'emails.primary': { caseExact: false },
  'meta.created': { caseExact: false },
  'meta.lastmodified': { caseExact: false },
};

export const GROUP_FILTER_ATTRIBUTES: FilterableAttributes = {
  id: { caseExact: true },
  externalid: { caseExact: true },
  displayname: { caseExact: false },
  members: { caseExact: true },
  'members.value': { caseExact: true },
  'meta.created': { caseExact: false },
  'meta.lastmodified': { caseExact: false },
};

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

type Token = { kind: 'word' | 'string' | 'punct'; text: string; value?: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (/\s/.test(ch)) {
      i += 1;
    } else if ('()[]'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch });
      i += 1;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw new InvalidFilterError('unterminated string literal');
      const raw = input.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(raw) as string;
      } catch {
        throw new InvalidFilterError(`invalid string literal ${raw}`);
      }
      tokens.push({ kind: 'string', text: raw, value });
      i = j + 1;
    } else {
      let j = i;
      while (j < input.length && !/\s/.test(input[j]) && !'()[]"'.includes(input[j])) j += 1;
      tokens.push({ kind: 'word', text: input.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly attributes: FilterableAttributes,
  ) {}

  parse(): FilterNode {
    const node = this.parseOr(null);
    if (this.pos < this.tokens.length) throw new InvalidFilterError(`unexpected "${this.tokens[this.pos].text}"`);
    return node;
  }

  private peekWord(): string | undefined {
    const t = this.tokens[this.pos];
    return t && t.kind === 'word' ? t.text.toLowerCase() : undefined;
  }

  private expectPunct(text: string): void {
    const t = this.tokens[this.pos];
    if (!t || t.kind !== 'punct' || t.text !== text) throw new InvalidFilterError(`expected "${text}"`);
    this.pos += 1;
  }

  private parseOr(parent: string | null): FilterNode {
    return this.parseChain('or', () => this.parseAnd(parent));
  }

  private parseAnd(parent: string | null): FilterNode {
    return this.parseChain('and', () => this.parseUnary(parent));
  }

  /** `and` binds tighter than `or`; both associate to the left. */
  private parseChain(op: 'and' | 'or', operand: () => FilterNode): FilterNode {
    let left = operand();
    while (this.peekWord() === op) {
      this.pos += 1;
      left = { type: op, left, right: operand() };
    }
    return left;
  }

  private parseUnary(parent: string | null): FilterNode {
    const t = this.tokens[this.pos];
    if (!t) throw new InvalidFilterError('unexpected end of filter');
    if (t.kind === 'word' && t.text.toLowerCase() === 'not') {
      this.pos += 1;
      this.expectPunct('(');
      const inner = this.parseOr(parent);
      this.expectPunct(')');
      return { type: 'not', inner };
    }
    if (t.kind === 'punct' && t.text === '(') {
      this.pos += 1;
      const inner = this.parseOr(parent);
      this.expectPunct(')');
      return inner;
    }
    if (t.kind !== 'word') throw new InvalidFilterError(`expected an attribute, got "${t.text}"`);
    this.pos += 1;
    const path = this.attributePath(t.text, parent);
    const next = this.tokens[this.pos];
    if (next && next.kind === 'punct' && next.text === '[') {
      if (parent) throw new InvalidFilterError('nested value filters are not supported');
      this.pos += 1;
      const inner = this.parseOr(path);
      this.expectPunct(']');
      return { type: 'valuePath', path, inner };
    }
    const op = this.peekWord();
    if (!op) throw new InvalidFilterError(`expected an operator after ${t.text}`);
    this.pos += 1;
    if (op === 'pr') return { type: 'present', path };
    if (!COMPARE_OPS.has(op)) throw new InvalidFilterError(`unknown operator "${op}"`);
    return { type: 'compare', path, op: op as CompareOp, value: this.literal() };
  }

  private attributePath(raw: string, parent: string | null): string {
    const path = raw.replace(CORE_URN, '').toLowerCase();
    if (!/^[a-z$][a-z0-9_$-]*(\.[a-z$][a-z0-9_$-]*)?$/.test(path)) throw new InvalidFilterError(`invalid attribute path "${raw}"`);
    const full = parent ? `${parent}.${path}` : path;
    if (!this.attributes[full]) throw new InvalidFilterError(`filtering on "${raw}" is not supported`);
    return full;
  }

  private literal(): Literal {
    const t = this.tokens[this.pos];
    if (!t) throw new InvalidFilterError('expected a comparison value');
    this.pos += 1;
    if (t.kind === 'string') return t.value ?? '';
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
      if (/^-?\d+(\.\d+)?$/.test(t.text)) return Number(t.text);
    }
    throw new InvalidFilterError(`invalid comparison value "${t.text}"`);
  }
}

export function parseFilter(expression: string, attributes: FilterableAttributes): FilterNode {
  const tokens = tokenize(expression);
  if (tokens.length === 0) throw new InvalidFilterError('empty filter');
  return new Parser(tokens, attributes).parse();
}

/** Every value at a (lower-cased, dotted) path, flattening multi-valued attributes. */
function valuesAt(resource: unknown, path: string): unknown[] {
  let current: unknown[] = [resource];
  for (const segment of path.split('.')) {
    const next: unknown[] = [];
    for (const item of current) {
      if (item === null || typeof item !== 'object') continue;
      const key = Object.keys(item).find((k) => k.toLowerCase() === segment);
      if (key === undefined) continue;
      const value = (item as Record<string, unknown>)[key];
      if (Array.isArray(value)) next.push(...value);
      else if (value !== undefined && value !== null) next.push(value);
    }
    current = next;
  }
  return current;
}

function compare(actual: unknown, op: CompareOp, expected: Literal, caseExact: boolean): boolean {
  if (typeof actual === 'object' && actual !== null && 'value' in actual) actual = (actual as { value: unknown }).value;
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = caseExact ? actual : actual.toLowerCase();
    const e = caseExact ? expected : expected.toLowerCase();
    switch (op) {
      case 'eq': return a === e;
      case 'ne': return a !== e;
      case 'co': return a.includes(e);
      case 'sw': return a.startsWith(e);
      case 'ew': return a.endsWith(e);
      case 'gt': return a > e;
      case 'ge': return a >= e;
      case 'lt': return a < e;
      case 'le': return a <= e;
    }
  }
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  if (typeof actual === 'number' && typeof expected === 'number') {
    return op === 'gt' ? actual > expected : op === 'ge' ? actual >= expected : op === 'lt' ? actual < expected : op === 'le' ? actual <= expected : false;
  }
  return false;
}

export function matchesFilter(resource: unknown, node: FilterNode, attributes: FilterableAttributes): boolean {
  switch (node.type) {
    case 'and': return matchesFilter(resource, node.left, attributes) && matchesFilter(resource, node.right, attributes);
    case 'or': return matchesFilter(resource, node.left, attributes) || matchesFilter(resource, node.right, attributes);
    case 'not': return !matchesFilter(resource, node.inner, attributes);
    case 'present': return valuesAt(resource, node.path).some((v) => v !== '' && !(Array.isArray(v) && v.length === 0));
    case 'valuePath':
      // Inner paths are stored fully qualified (emails.type), so evaluate each element as {emails: element}.
      return valuesAt(resource, node.path).some((element) => matchesFilter({ [node.path]: element }, node.inner, attributes));
    case 'compare': {
      const values = valuesAt(resource, node.path);
      const caseExact = attributes[node.path]?.caseExact ?? false;
      if (node.op === 'ne') return !values.some((v) => compare(v, 'eq', node.value, caseExact));
      return values.some((v) => compare(v, node.op, node.value, caseExact));
    }
  }
}
