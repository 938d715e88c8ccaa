import { badRequest } from './errors';
import { fieldDef, objectDef, relationshipDef, type ObjectDef } from './schema';

/**
 * The SOQL subset jsforce generates and the connector writes: field lists with dotted parent
 * paths, count(), WHERE with = != < > <= >= LIKE IN / NOT IN (values or a semi-join), AND/OR/NOT,
 * null and booleans, ORDER BY, LIMIT/OFFSET. String equality is case-insensitive, as in Salesforce.
 */
export type SoqlValue = string | number | boolean | null;
export type Row = Record<string, unknown>;

type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; path: string[]; op: string; value: SoqlValue }
  | { kind: 'in'; path: string[]; negate: boolean; values: SoqlValue[] | ParsedQuery };

export interface ParsedQuery {
  object: ObjectDef;
  count: boolean;
  fields: string[][];
  where?: Condition;
  orderBy: { path: string[]; descending: boolean; nullsLast: boolean }[];
  limit?: number;
  offset?: number;
}

/** Where the evaluator reads rows and follows lookups. */
export interface RowSource {
  rows(object: string): Row[];
  byId(id: string): { type: string; row: Row } | undefined;
}

type Token = { type: 'word' | 'string' | 'number' | 'punct'; text: string };

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") {
      let text = '';
      i++;
      while (i < soql.length && soql[i] !== "'") {
        if (soql[i] === '\\' && i + 1 < soql.length) {
          const next = soql[i + 1];
          text += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
        } else text += soql[i++];
      }
      if (i >= soql.length) throw badRequest('MALFORMED_QUERY', 'unexpected token: unterminated string literal');
      i++;
      tokens.push({ type: 'string', text });
      continue;
    }
    const two = soql.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>') { tokens.push({ type: 'punct', text: two === '<>' ? '!=' : two }); i += 2; continue; }
    if ('(),=<>'.includes(c)) { tokens.push({ type: 'punct', text: c }); i++; continue; }
    const number = /^-?\d[\dA-Za-z:.+-]*/.exec(soql.slice(i));
    if (number) {
      const text = number[0];
      tokens.push(/^-?\d+(\.\d+)?$/.test(text) ? { type: 'number', text } : { type: 'string', text });
      i += text.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(soql.slice(i));
    if (!word) throw badRequest('MALFORMED_QUERY', `unexpected token: '${c}'`);
    tokens.push({ type: 'word', text: word[0] });
    i += word[0].length;
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined { return this.tokens[this.pos + offset]; }
  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return !!t && t.type === 'word' && t.text.toUpperCase() === text;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return !!t && t.type === 'punct' && t.text === text;
  }
  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw badRequest('MALFORMED_QUERY', 'unexpected end of query');
    return t;
  }
  private expectWord(text: string): void {
    if (!this.isWord(text)) throw badRequest('MALFORMED_QUERY', `unexpected token: '${this.peek()?.text ?? 'end of query'}', expected ${text}`);
    this.pos++;
  }
  private expectPunct(text: string): void {
    if (!this.isPunct(text)) throw badRequest('MALFORMED_QUERY', `unexpected token: '${this.peek()?.text ?? 'end of query'}', expected '${text}'`);
    this.pos++;
  }

  query(): ParsedQuery {
    this.expectWord('SELECT');
    let count = false;
    const fieldNames: string[] = [];
    if (this.isWord('COUNT') && this.tokens[this.pos + 1]?.text === '(') {
      this.pos += 2;
      this.expectPunct(')');
      count = true;
    } else {
      do {
        const t = this.next();
        if (t.type !== 'word') throw badRequest('MALFORMED_QUERY', `unexpected token: '${t.text}'`);
        fieldNames.push(t.text);
      } while (this.isPunct(',') && this.next());
    }
    this.expectWord('FROM');
    const objectName = this.next().text;
    const object = objectDef(objectName);
    if (!object) throw badRequest('INVALID_TYPE', `sObject type '${objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`);
    const fields = fieldNames.map((f) => validatePath(object, f));
    const query: ParsedQuery = { object, count, fields, orderBy: [] };
    if (this.isWord('WHERE')) { this.pos++; query.where = this.orCondition(object); }
    if (this.isWord('ORDER')) {
      this.pos++;
      this.expectWord('BY');
      do {
        const path = validatePath(object, this.next().text);
        let descending = false;
        if (this.isWord('ASC')) this.pos++;
        else if (this.isWord('DESC')) { this.pos++; descending = true; }
        let nullsLast = descending;
        if (this.isWord('NULLS')) { this.pos++; nullsLast = this.next().text.toUpperCase() === 'LAST'; }
        query.orderBy.push({ path, descending, nullsLast });
      } while (this.isPunct(',') && this.next());
    }
    if (this.isWord('LIMIT')) { this.pos++; query.limit = this.integer(); }
    if (this.isWord('OFFSET')) { this.pos++; query.offset = this.integer(); }
    return query;
  }

  atEnd(): boolean { return this.pos >= this.tokens.length; }
  rest(): string { return this.peek()?.text ?? ''; }

  private integer(): number {
    const t = this.next();
    if (t.type !== 'number') throw badRequest('MALFORMED_QUERY', `unexpected token: '${t.text}', expected a number`);
    return Number(t.text);
  }

  private orCondition(object: ObjectDef): Condition {
    const items = [this.andCondition(object)];
    while (this.isWord('OR')) { this.pos++; items.push(this.andCondition(object)); }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private andCondition(object: ObjectDef): Condition {
    const items = [this.unary(object)];
    while (this.isWord('AND')) { this.pos++; items.push(this.unary(object)); }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private unary(object: ObjectDef): Condition {
    if (this.isWord('NOT')) { this.pos++; return { kind: 'not', item: this.unary(object) }; }
    if (this.isPunct('(')) {
      this.pos++;
      const inner = this.orCondition(object);
      this.expectPunct(')');
      return inner;
    }
    const pathToken = this.next();
    if (pathToken.type !== 'word') throw badRequest('MALFORMED_QUERY', `unexpected token: '${pathToken.text}'`);
    const path = validatePath(object, pathToken.text);
    if (this.isWord('NOT') && this.isWord('IN', 1)) { this.pos += 2; return { kind: 'in', path, negate: true, values: this.inList() }; }
    if (this.isWord('IN')) { this.pos++; return { kind: 'in', path, negate: false, values: this.inList() }; }
    if (this.isWord('LIKE')) { this.pos++; return { kind: 'compare', path, op: 'LIKE', value: this.literal() }; }
    const op = this.next();
    if (op.type !== 'punct' || !['=', '!=', '<', '>', '<=', '>='].includes(op.text)) throw badRequest('MALFORMED_QUERY', `unexpected token: '${op.text}'`);
    return { kind: 'compare', path, op: op.text, value: this.literal() };
  }

  private inList(): SoqlValue[] | ParsedQuery {
    this.expectPunct('(');
    if (this.isWord('SELECT')) {
      const sub = this.query();
      this.expectPunct(')');
      if (sub.fields.length !== 1) throw badRequest('MALFORMED_QUERY', 'a semi-join must select exactly one field');
      return sub;
    }
    const values: SoqlValue[] = [];
    do values.push(this.literal()); while (this.isPunct(',') && this.next());
    this.expectPunct(')');
    return values;
  }

  private literal(): SoqlValue {
    const t = this.next();
    if (t.type === 'string') return t.text;
    if (t.type === 'number') return Number(t.text);
    if (t.type === 'word') {
      const upper = t.text.toUpperCase();
      if (upper === 'NULL') return null;
      if (upper === 'TRUE') return true;
      if (upper === 'FALSE') return false;
    }
    throw badRequest('MALFORMED_QUERY', `unexpected token: '${t.text}'`);
  }
}

/** Resolves `Profile.Name` against the schema; returns the path in API casing. */
function validatePath(object: ObjectDef, dotted: string): string[] {
  const parts = dotted.split('.');
  const out: string[] = [];
  let current: ObjectDef | undefined = object;
  for (let i = 0; i < parts.length; i++) {
    if (!current) throw badRequest('INVALID_FIELD', `Didn't understand relationship '${parts.slice(0, i).join('.')}' in field path.`);
    if (i === parts.length - 1) {
      const field = fieldDef(current, parts[i]);
      if (!field) throw badRequest('INVALID_FIELD', `No such column '${parts[i]}' on entity '${current.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`);
      out.push(field.name);
    } else {
      const rel = relationshipDef(current, parts[i]);
      if (!rel) throw badRequest('INVALID_FIELD', `Didn't understand relationship '${parts[i]}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name.`);
      out.push(rel.relationshipName!);
      current = objectDef(rel.referenceTo![0]);
    }
  }
  return out;
}

export function parseSoql(soql: string): ParsedQuery {
  const parser = new Parser(tokenize(soql));
  const query = parser.query();
  if (!parser.atEnd()) throw badRequest('MALFORMED_QUERY', `unexpected token: '${parser.rest()}'`);
  return query;
}

/** Reads a (possibly dotted) path from a row, following lookups through the source. */
function readPath(source: RowSource, object: ObjectDef, row: Row, path: string[]): unknown {
  if (path.length === 1) return row[path[0]];
  const rel = relationshipDef(object, path[0])!;
  const parentId = row[rel.name];
  if (typeof parentId !== 'string') return null;
  const parent = source.byId(parentId);
  if (!parent) return null;
  return readPath(source, objectDef(parent.type)!, parent.row, path.slice(1));
}

function equalValues(actual: unknown, expected: SoqlValue): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (typeof actual === 'string' && typeof expected === 'string') {
    // Ids: a 15-character literal matches the 18-character stored id.
    if (expected.length === 15 && actual.length === 18 && /^[A-Za-z0-9]{18}$/.test(actual)) return actual.slice(0, 15) === expected;
    return actual.toLowerCase() === expected.toLowerCase();
  }
  return actual === expected;
}

function likeToRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${escaped}$`, 'is');
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a).toLowerCase().localeCompare(String(b).toLowerCase());
}

function matches(source: RowSource, object: ObjectDef, row: Row, cond: Condition): boolean {
  switch (cond.kind) {
    case 'and': return cond.items.every((c) => matches(source, object, row, c));
    case 'or': return cond.items.some((c) => matches(source, object, row, c));
    case 'not': return !matches(source, object, row, cond.item);
    case 'in': {
      const actual = readPath(source, object, row, cond.path);
      const values = Array.isArray(cond.values) ? cond.values : (select(source, cond.values).map((r) => readPath(source, (cond.values as ParsedQuery).object, r, (cond.values as ParsedQuery).fields[0])) as SoqlValue[]);
      const found = values.some((v) => equalValues(actual, v));
      return cond.negate ? !found : found;
    }
    case 'compare': {
      const actual = readPath(source, object, row, cond.path);
      switch (cond.op) {
        case '=': return equalValues(actual, cond.value);
        case '!=': return !equalValues(actual, cond.value);
        case 'LIKE': return typeof actual === 'string' && typeof cond.value === 'string' && likeToRegex(cond.value).test(actual);
        default: {
          if (actual === null || actual === undefined || cond.value === null) return false;
          const c = compareValues(actual, cond.value);
          return cond.op === '<' ? c < 0 : cond.op === '>' ? c > 0 : cond.op === '<=' ? c <= 0 : c >= 0;
        }
      }
    }
  }
}

/** Filtered, ordered, limited rows (raw store rows, not yet shaped for the response). */
export function select(source: RowSource, query: ParsedQuery): Row[] {
  let rows = source.rows(query.object.name).filter((r) => !query.where || matches(source, query.object, r, query.where));
  if (query.orderBy.length > 0) {
    rows = [...rows].sort((a, b) => {
      for (const o of query.orderBy) {
        const va = readPath(source, query.object, a, o.path);
        const vb = readPath(source, query.object, b, o.path);
        const aNull = va === null || va === undefined;
        const bNull = vb === null || vb === undefined;
        if (aNull || bNull) {
          if (aNull && bNull) continue;
          return (aNull ? 1 : -1) * (o.nullsLast ? 1 : -1);
        }
        const c = compareValues(va, vb);
        if (c !== 0) return o.descending ? -c : c;
      }
      return 0;
    });
  }
  const offset = query.offset ?? 0;
  return rows.slice(offset, query.limit !== undefined ? offset + query.limit : undefined);
}

/** Shapes one row as the REST API returns it: `attributes`, selected fields, nested parents. */
export function shapeRow(source: RowSource, object: ObjectDef, row: Row, paths: string[][], version: string): Row {
  const out: Row = { attributes: { type: object.name, url: `/services/data/v${version}/sobjects/${object.name}/${String(row.Id)}` } };
  const groups = new Map<string, string[][]>();
  for (const path of paths) {
    if (path.length === 1) out[path[0]] = row[path[0]] ?? null;
    else groups.set(path[0], [...(groups.get(path[0]) ?? []), path.slice(1)]);
  }
  for (const [relationship, subPaths] of groups) {
    const rel = relationshipDef(object, relationship)!;
    const parentId = row[rel.name];
    const parent = typeof parentId === 'string' ? source.byId(parentId) : undefined;
    out[relationship] = parent ? shapeRow(source, objectDef(parent.type)!, parent.row, subPaths, version) : null;
  }
  return out;
}
