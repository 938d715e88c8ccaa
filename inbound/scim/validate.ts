/**
 * Checks a whole User or Group body against schema.ts before anything is stored: unknown attributes
 * and wrong types are 400 invalidValue, and the result is the canonical stored shape (attribute
 * names as the schema spells them, unassigned values dropped, read-only and write-only ones left
 * out). Messages name attributes, never the values sent.
 */
import { invalidSyntax, invalidValue } from './errors';
import { COMMON_ATTRIBUTES, type AttributeDef, type ResourceTypeDef } from './schema';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Attribute names come from the client; they are echoed (bounded), values never are. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
}

export function findDef(defs: AttributeDef[], name: string): AttributeDef | undefined {
  const folded = name.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === folded);
}

/**
 * Entra ID sends booleans as the strings "True" / "False" in PATCH (a documented quirk); those two
 * strings are read as booleans everywhere, any other string is a wrong type.
 */
function booleanFrom(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`${path} must be a boolean`);
}

function scalar(def: AttributeDef, value: unknown, path: string): unknown {
  switch (def.type) {
    case 'boolean':
      return booleanFrom(value, path);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidValue(`${path} must be an integer`);
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidValue(`${path} must be a number`);
      return value;
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidValue(`${path} must be an xsd:dateTime`);
      return value;
    default:
      if (typeof value !== 'string') throw invalidValue(`${path} must be a string`);
      return value;
  }
}

function complexValue(def: AttributeDef, value: unknown, path: string): Json | undefined {
  if (!isObject(value)) throw invalidValue(`${path} must be a complex value (an object)`);
  const out: Json = {};
  for (const [key, sub] of Object.entries(value)) {
    const subDef = findDef(def.subAttributes ?? [], key);
    if (!subDef) throw invalidValue(`unknown attribute ${quoteName(`${path}.${key}`)}`);
    if (sub === null || subDef.mutability === 'readOnly') continue;
    out[subDef.name] = scalar(subDef, sub, `${path}.${subDef.name}`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One attribute's value in canonical form; undefined when it is unassigned (null, [] or {}). */
export function attributeValue(def: AttributeDef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    if (!Array.isArray(value)) throw invalidValue(`${path} is multi-valued and must be an array`);
    const items = value.map((item, i) => (def.type === 'complex' ? complexValue(def, item, `${path}[${i}]`) : scalar(def, item, `${path}[${i}]`))).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  return def.type === 'complex' ? complexValue(def, value, path) : scalar(def, value, path);
}

function attributesOf(defs: AttributeDef[], body: Json, into: Json, prefix: string): void {
  for (const [key, value] of Object.entries(body)) {
    if (prefix !== '' && key.toLowerCase() === 'schemas') continue; // some clients repeat schemas inside the extension object
    const def = findDef(defs, key);
    if (!def) throw invalidValue(`unknown attribute ${quoteName(prefix + key)}`);
    if (def.mutability === 'readOnly' || def.mutability === 'writeOnly') continue; // server-owned, or never kept (passwords)
    const canonical = attributeValue(def, value, prefix + def.name);
    if (canonical !== undefined) into[def.name] = canonical;
  }
}

/**
 * The stored form of a POST or PUT body (or of a resource after a PATCH). `id` and `meta` in the
 * body are the server's and ignored, as RFC 7643 §3.1 allows.
 */
export function validateResource(type: ResourceTypeDef, body: unknown): Json {
  if (!isObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) throw invalidValue('schemas must be an array of schema URNs');
  const known = new Map([[type.schema.toLowerCase(), type.schema], ...type.extensions.map((e): [string, string] => [e.schema.toLowerCase(), e.schema])]);
  for (const urn of schemas as string[]) if (!known.has(urn.toLowerCase())) throw invalidValue(`schemas names an unknown schema ${quoteName(urn)}`);
  if (!(schemas as string[]).some((s) => s.toLowerCase() === type.schema.toLowerCase())) throw invalidValue(`schemas must include ${type.schema}`);
  const out: Json = {};
  const core: Json = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas' || lower === 'id' || lower === 'meta') continue;
    const extension = type.extensions.find((e) => e.schema.toLowerCase() === lower);
    if (extension) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidValue(`${extension.schema} must be an object`);
      const ext: Json = {};
      attributesOf(extension.attributes, value, ext, `${extension.schema}:`);
      if (Object.keys(ext).length > 0) out[extension.schema] = ext;
      continue;
    }
    // "urn:...:core:2.0:User:userName" is the same attribute as "userName".
    const corePrefix = `${type.schema.toLowerCase()}:`;
    core[lower.startsWith(corePrefix) ? key.slice(corePrefix.length) : key] = value;
  }
  attributesOf([...COMMON_ATTRIBUTES, ...type.attributes], core, out, '');
  for (const def of type.attributes) {
    if (def.required && (typeof out[def.name] !== 'string' || (out[def.name] as string).trim() === '')) throw invalidValue(`${def.name} is required`);
  }
  out.schemas = [type.schema, ...type.extensions.filter((e) => out[e.schema] !== undefined).map((e) => e.schema)];
  return out;
}
