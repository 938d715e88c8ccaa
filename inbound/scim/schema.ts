/**
 * The resource schemas idsync serves (RFC 7643 §4, §8.7.1): one set of attribute definitions that
 * both validates what clients send (validate.ts) and is published at /Schemas, so what the endpoint
 * announces is exactly what it stores and returns.
 */
export const SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'binary' | 'reference' | 'complex';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'never' | 'default' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  referenceTypes?: string[];
  canonicalValues?: string[];
  subAttributes?: AttributeDef[];
  description?: string;
}

const str = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'string', ...extra });
const primary: AttributeDef = { name: 'primary', type: 'boolean' };

/** value / display / type / primary: the shape of emails, phoneNumbers, ims, photos, entitlements, roles, x509Certificates. */
function plural(name: string, valueType: AttributeType = 'string', types?: string[]): AttributeDef {
  return {
    name,
    type: 'complex',
    multiValued: true,
    subAttributes: [{ name: 'value', type: valueType }, str('display'), str('type', types ? { canonicalValues: types } : {}), primary],
  };
}

const memberRef = (name: string, referenceTypes: string[], readOnly: boolean): AttributeDef => ({
  name,
  type: 'complex',
  multiValued: true,
  ...(readOnly ? { mutability: 'readOnly' as const } : {}),
  subAttributes: [
    str('value', { mutability: 'immutable' }),
    { name: '$ref', type: 'reference', referenceTypes, mutability: 'immutable' },
    str('display', { mutability: readOnly ? 'readOnly' : 'immutable' }),
    str('type', { mutability: 'immutable', canonicalValues: readOnly ? ['direct', 'indirect'] : ['User', 'Group'] }),
  ],
});

export const USER_ATTRIBUTES: AttributeDef[] = [
  str('userName', { required: true, uniqueness: 'server' }),
  {
    name: 'name',
    type: 'complex',
    subAttributes: [str('formatted'), str('familyName'), str('givenName'), str('middleName'), str('honorificPrefix'), str('honorificSuffix')],
  },
  str('displayName'),
  str('nickName'),
  { name: 'profileUrl', type: 'reference', referenceTypes: ['external'] },
  str('title'),
  str('userType'),
  str('preferredLanguage'),
  str('locale'),
  str('timezone'),
  { name: 'active', type: 'boolean' },
  str('password', { mutability: 'writeOnly', returned: 'never' }),
  plural('emails', 'string', ['work', 'home', 'other']),
  plural('phoneNumbers', 'string', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  plural('ims'),
  plural('photos', 'reference', ['photo', 'thumbnail']),
  {
    name: 'addresses',
    type: 'complex',
    multiValued: true,
    subAttributes: [str('formatted'), str('streetAddress'), str('locality'), str('region'), str('postalCode'), str('country'), str('type', { canonicalValues: ['work', 'home', 'other'] }), primary],
  },
  memberRef('groups', ['Group'], true),
  plural('entitlements'),
  plural('roles'),
  plural('x509Certificates', 'binary'),
];

export const ENTERPRISE_ATTRIBUTES: AttributeDef[] = [
  str('employeeNumber'),
  str('costCenter'),
  str('organization'),
  str('division'),
  str('department'),
  {
    name: 'manager',
    type: 'complex',
    subAttributes: [str('value'), { name: '$ref', type: 'reference', referenceTypes: ['User'] }, str('displayName', { mutability: 'readOnly' })],
  },
];

export const GROUP_ATTRIBUTES: AttributeDef[] = [str('displayName', { required: true }), memberRef('members', ['User', 'Group'], false)];

/** Attributes every resource has (RFC 7643 §3.1); id and meta are the server's. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  str('id', { mutability: 'readOnly', returned: 'always', caseExact: true, uniqueness: 'server' }),
  str('externalId', { caseExact: true }),
];

export type ResourceKind = 'User' | 'Group';

export interface ResourceTypeDef {
  kind: ResourceKind;
  endpoint: '/Users' | '/Groups';
  schema: string;
  attributes: AttributeDef[];
  extensions: { schema: string; attributes: AttributeDef[] }[];
}

export const RESOURCE_TYPES: Record<ResourceKind, ResourceTypeDef> = {
  User: { kind: 'User', endpoint: '/Users', schema: SCHEMAS.user, attributes: USER_ATTRIBUTES, extensions: [{ schema: SCHEMAS.enterprise, attributes: ENTERPRISE_ATTRIBUTES }] },
  Group: { kind: 'Group', endpoint: '/Groups', schema: SCHEMAS.group, attributes: GROUP_ATTRIBUTES, extensions: [] },
};

/** An attribute definition with every characteristic RFC 7643 §7 lists, defaults applied, for /Schemas. */
function published(def: AttributeDef): Record<string, unknown> {
  return {
    name: def.name,
    type: def.type,
    multiValued: def.multiValued ?? false,
    description: def.description ?? def.name,
    required: def.required ?? false,
    caseExact: def.caseExact ?? false,
    mutability: def.mutability ?? 'readWrite',
    returned: def.returned ?? 'default',
    uniqueness: def.uniqueness ?? 'none',
    ...(def.canonicalValues ? { canonicalValues: def.canonicalValues } : {}),
    ...(def.referenceTypes ? { referenceTypes: def.referenceTypes } : {}),
    ...(def.subAttributes ? { subAttributes: def.subAttributes.map(published) } : {}),
  };
}

function schemaDocument(id: string, name: string, attributes: AttributeDef[], baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCHEMAS.schema],
    id,
    name,
    description: `${name} as idsync stores it`,
    attributes: attributes.map(published),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  };
}

export function schemaDocuments(baseUrl: string): Record<string, unknown>[] {
  return [
    schemaDocument(SCHEMAS.user, 'User', USER_ATTRIBUTES, baseUrl),
    schemaDocument(SCHEMAS.enterprise, 'EnterpriseUser', ENTERPRISE_ATTRIBUTES, baseUrl),
    schemaDocument(SCHEMAS.group, 'Group', GROUP_ATTRIBUTES, baseUrl),
  ];
}

export function resourceTypeDocuments(baseUrl: string): Record<string, unknown>[] {
  return Object.values(RESOURCE_TYPES).map((t) => ({
    schemas: [SCHEMAS.resourceType],
    id: t.kind,
    name: t.kind,
    endpoint: t.endpoint,
    description: `${t.kind} resources`,
    schema: t.schema,
    schemaExtensions: t.extensions.map((e) => ({ schema: e.schema, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${t.kind}` },
  }));
}

export function serviceProviderConfig(baseUrl: string, maxResults: number, maxBodyBytes: number): Record<string, unknown> {
  return {
    schemas: [SCHEMAS.serviceProviderConfig],
    documentationUri: 'https://github.com/idsync/idsync#inbound-scim-20',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: maxBodyBytes },
    filter: { supported: true, maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'A static bearer token (Authorization: Bearer ...), configured by environment variable', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
