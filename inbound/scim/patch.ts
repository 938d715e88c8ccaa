/**
 * PATCH (RFC 7644 §3.5.2) as identity providers send it. The operations are applied to a copy of
 * the stored resource and the result is validated as a whole (validate.ts) before anything is
 * stored, so a request is applied entirely or not at all. Quirks accepted on purpose:
 *  - Entra ID: op names in any case ("Replace"), booleans as "True"/"False" strings, path-less
 *    replace with dotted keys ({"name.givenName": ...}) or extension-qualified keys, the manager as a
 *    bare id string, `members` removed by value path (`members[value eq "id"]`) or by a value list,
 *    and `emails[type eq "work"].value` replaced where no such email exists yet (it is added).
 *  - Okta: path-less replace ({"active": false}).
 */
import { invalidPath, invalidSyntax, invalidValue, noTarget, ScimError } from './errors';
import { matches, isCaseExact, parseFilter, type Comparison } from './filter';
import { type AttributeDef, type ResourceTypeDef } from './schema';
import { findDef, isObject, quoteName, validateResource, type Json } from './validate';

type Op = 'add' | 'replace' | 'remove';

interface Target {
  /** Where the attribute lives: the resource itself or its extension object. */
  extension?: string;
  def: AttributeDef;
  filter?: Comparison[];
  sub?: AttributeDef;
}

const CORE_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

/** Splits `emails[type eq "work"].value` into its attribute, filter text and sub-attribute, quotes respected. */
function splitValuePath(path: string): { attribute: string; filter?: string; sub?: string } {
  const open = path.indexOf('[');
  if (open < 0) {
    const [attribute, sub, ...rest] = path.split('.');
    if (rest.length > 0) throw invalidPath(`${quoteName(path)} is nested too deep`);
    return { attribute: attribute!, sub };
  }
  let inQuotes = false;
  for (let i = open + 1; i < path.length; i++) {
    if (path[i] === '"' && path[i - 1] !== '\\') inQuotes = !inQuotes;
    if (path[i] === ']' && !inQuotes) {
      const after = path.slice(i + 1);
      if (after !== '' && !after.startsWith('.')) throw invalidPath(`${quoteName(path)} is not a valid attribute path`);
      return { attribute: path.slice(0, open), filter: path.slice(open + 1, i), sub: after ? after.slice(1) : undefined };
    }
  }
  throw invalidPath(`${quoteName(path)} has an unclosed [`);
}

function resolve(type: ResourceTypeDef, rawPath: string): Target | { extension: string; whole: true } {
  let path = rawPath.trim().replace(CORE_PREFIX, '');
  let extension: string | undefined;
  let defs = type.attributes;
  for (const ext of type.extensions) {
    const lower = path.toLowerCase();
    const urn = ext.schema.toLowerCase();
    if (lower === urn) return { extension: ext.schema, whole: true };
    if (lower.startsWith(`${urn}:`)) {
      extension = ext.schema;
      defs = ext.attributes;
      path = path.slice(urn.length + 1);
    }
  }
  const { attribute, filter, sub } = splitValuePath(path);
  const def = findDef(extension ? defs : [...defs, { name: 'externalId', type: 'string', caseExact: true }], attribute);
  if (!def) throw invalidPath(`unknown attribute ${quoteName(attribute)}`);
  if (def.mutability === 'readOnly') throw new ScimError(400, `${def.name} is read-only`, 'mutability');
  let subDef: AttributeDef | undefined;
  if (sub !== undefined) {
    subDef = findDef(def.subAttributes ?? [], sub);
    if (!subDef) throw invalidPath(`unknown attribute ${quoteName(`${def.name}.${sub}`)}`);
  }
  if (filter !== undefined && !def.multiValued) throw invalidPath(`${def.name} is not multi-valued; a [filter] selects elements of multi-valued attributes only`);
  return { extension, def, filter: filter === undefined ? undefined : parseFilter(filter), sub: subDef };
}

/** Entra sends the manager (a complex attribute) as the manager's bare id. */
function shaped(def: AttributeDef, value: unknown): unknown {
  if (def.type === 'complex' && !def.multiValued && typeof value === 'string' && findDef(def.subAttributes ?? [], 'value')) return { value };
  return value;
}

const sameElement = (a: unknown, b: unknown) => isObject(a) && isObject(b) && a.value !== undefined && a.value === b.value;

function applyAt(resource: Json, target: Target, op: Op, value: unknown): void {
  const container: Json = target.extension ? ((resource[target.extension] as Json | undefined) ?? (resource[target.extension] = {})) : resource;
  const { def, filter, sub } = target;
  const key = Object.keys(container).find((k) => k.toLowerCase() === def.name.toLowerCase()) ?? def.name;
  if (key !== def.name) {
    container[def.name] = container[key];
    delete container[key];
  }
  const current = container[def.name];
  if (def.multiValued) {
    const list = Array.isArray(current) ? [...(current as unknown[])] : [];
    const selected = (item: unknown) => filter === undefined || (isObject(item) && matches(item, filter, isCaseExact));
    if (op === 'remove' && sub === undefined) {
      // Entra removes members by a value list instead of a filter: drop the listed ones only.
      const listed = filter === undefined && Array.isArray(value) ? value : undefined;
      container[def.name] = listed ? list.filter((item) => !listed.some((v) => sameElement(item, v))) : list.filter((item) => !selected(item));
      return;
    }
    if (sub !== undefined || filter !== undefined) {
      const hits = list.filter(selected);
      if (hits.length === 0 && op !== 'remove') {
        if (!filter || sub === undefined) throw noTarget(`no element of ${def.name} matches the filter`);
        // replace emails[type eq "work"].value with no work email yet: add one (what Entra expects).
        list.push(Object.fromEntries([...filter.map((c) => [c.path, c.value]), [sub.name, value]]));
      }
      for (const item of hits) {
        const index = list.indexOf(item);
        if (sub === undefined) list[index] = op === 'add' && isObject(value) ? { ...(item as Json), ...value } : value;
        else if (op === 'remove') list[index] = Object.fromEntries(Object.entries(item as Json).filter(([k]) => k.toLowerCase() !== sub.name.toLowerCase()));
        else list[index] = { ...(item as Json), [sub.name]: value };
      }
      container[def.name] = list;
      return;
    }
    const values = Array.isArray(value) ? value : [value];
    if (op === 'replace') container[def.name] = values;
    else container[def.name] = [...list, ...values.filter((v) => !list.some((item) => sameElement(item, v)))];
    return;
  }
  if (sub !== undefined) {
    const object = isObject(current) ? { ...current } : {};
    if (op === 'remove') delete object[sub.name];
    else object[sub.name] = value;
    container[def.name] = object;
    return;
  }
  if (op === 'remove') delete container[def.name];
  else {
    const next = shaped(def, value);
    container[def.name] = def.type === 'complex' && isObject(current) && isObject(next) ? { ...current, ...next } : next;
  }
}

function applyOperation(type: ResourceTypeDef, resource: Json, op: Op, path: string | undefined, value: unknown): void {
  if (path === undefined) {
    if (op === 'remove') throw noTarget('a remove operation needs a path');
    if (!isObject(value)) throw invalidValue('an operation without a path needs an object value');
    for (const [key, v] of Object.entries(value)) {
      const extension = type.extensions.find((e) => e.schema.toLowerCase() === key.toLowerCase());
      if (extension && isObject(v)) for (const [subKey, subValue] of Object.entries(v)) applyOperation(type, resource, op, `${extension.schema}:${subKey}`, subValue);
      else if (key.toLowerCase() === 'schemas') continue;
      else applyOperation(type, resource, op, key, v);
    }
    return;
  }
  const target = resolve(type, path);
  if ('whole' in target) {
    if (op === 'remove') delete resource[target.extension];
    else if (!isObject(value)) throw invalidValue(`${target.extension} must be an object`);
    else resource[target.extension] = op === 'add' && isObject(resource[target.extension]) ? { ...(resource[target.extension] as Json), ...value } : value;
    return;
  }
  if (op !== 'remove' && value === undefined) throw invalidValue(`operation ${op} on ${target.def.name} needs a value`);
  applyAt(resource, target, op, value);
}

/** The stored resource after the PATCH body's operations, validated; throws without touching `stored`. */
export function applyPatch(type: ResourceTypeDef, stored: Json, body: unknown): Json {
  if (!isObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === 'urn:ietf:params:scim:api:messages:2.0:patchop')) {
    throw invalidValue('schemas must be ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]');
  }
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0) throw invalidValue('Operations must be a non-empty array');
  const working = structuredClone(stored);
  for (const [i, operation] of operations.entries()) {
    if (!isObject(operation)) throw invalidSyntax(`Operations[${i}] must be an object`);
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw invalidSyntax(`Operations[${i}].op must be add, replace or remove`);
    const path = operation.path;
    if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) throw invalidPath(`Operations[${i}].path must be a non-empty string`);
    applyOperation(type, working, op, path as string | undefined, operation.value);
  }
  working.schemas = [type.schema, ...type.extensions.filter((e) => isObject(working[e.schema])).map((e) => e.schema)];
  return validateResource(type, working);
}
