/**
 * The sObjects the emulator serves and their fields: drives validation (unknown field, read-only
 * field, string length, picklists, references), `describe`, and SOQL field resolution.
 */
export type FieldType = 'id' | 'string' | 'email' | 'boolean' | 'reference' | 'picklist' | 'datetime' | 'int' | 'date';

export interface FieldDef {
  name: string;
  type: FieldType;
  createable?: boolean;
  updateable?: boolean;
  length?: number;
  referenceTo?: string[];
  relationshipName?: string;
  picklist?: readonly string[];
  label?: string;
}

export interface ObjectDef {
  name: string;
  keyPrefix: string;
  fields: FieldDef[];
  /** Operations the REST API allows on this object. */
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
}

/** A realistic subset of Salesforce's restricted picklists (real orgs list several hundred values). */
export const TIME_ZONES = [
  'Pacific/Honolulu', 'America/Anchorage', 'America/Los_Angeles', 'America/Phoenix', 'America/Denver', 'America/Chicago',
  'America/Mexico_City', 'America/New_York', 'America/Toronto', 'America/Halifax', 'America/Bogota', 'America/Lima',
  'America/Sao_Paulo', 'America/Argentina/Buenos_Aires', 'GMT', 'Europe/London', 'Europe/Dublin', 'Europe/Lisbon',
  'Europe/Paris', 'Europe/Berlin', 'Europe/Amsterdam', 'Europe/Brussels', 'Europe/Zurich', 'Europe/Vienna', 'Europe/Madrid',
  'Europe/Rome', 'Europe/Prague', 'Europe/Warsaw', 'Europe/Stockholm', 'Europe/Oslo', 'Europe/Copenhagen', 'Europe/Helsinki',
  'Europe/Athens', 'Europe/Istanbul', 'Europe/Moscow', 'Africa/Johannesburg', 'Asia/Jerusalem', 'Asia/Dubai', 'Asia/Kolkata',
  'Asia/Bangkok', 'Asia/Jakarta', 'Asia/Singapore', 'Asia/Kuala_Lumpur', 'Asia/Manila', 'Asia/Hong_Kong', 'Asia/Shanghai',
  'Asia/Taipei', 'Asia/Seoul', 'Asia/Tokyo', 'Australia/Perth', 'Australia/Brisbane', 'Australia/Sydney', 'Australia/Melbourne',
  'Pacific/Auckland',
] as const;
export const LOCALES = [
  'en_US', 'en_GB', 'en_AU', 'en_CA', 'en_IE', 'en_IN', 'en_NZ', 'en_SG', 'en_HK', 'en_MY', 'en_PH', 'en_ZA', 'de_DE', 'de_AT',
  'de_CH', 'fr_FR', 'fr_BE', 'fr_CA', 'fr_CH', 'it_IT', 'it_CH', 'es_ES', 'es_MX', 'es_AR', 'es_CO', 'pt_BR', 'pt_PT', 'nl_NL',
  'nl_BE', 'sv_SE', 'da_DK', 'fi_FI', 'no_NO', 'pl_PL', 'cs_CZ', 'ru_RU', 'tr_TR', 'ja_JP', 'ko_KR', 'zh_CN', 'zh_TW', 'zh_HK',
  'th_TH', 'iw_IL', 'ar_AE',
] as const;
export const LANGUAGES = ['en_US', 'en_GB', 'de', 'fr', 'it', 'es', 'es_MX', 'pt_BR', 'nl_NL', 'sv', 'da', 'fi', 'no', 'pl', 'cs', 'ru', 'tr', 'ja', 'ko', 'zh_CN', 'zh_TW', 'th', 'iw', 'ar'] as const;
export const EMAIL_ENCODINGS = ['UTF-8', 'ISO-8859-1', 'Shift_JIS', 'ISO-2022-JP', 'EUC-JP', 'ks_c_5601-1987', 'Big5', 'GB2312'] as const;

const id: FieldDef = { name: 'Id', type: 'id' };
const audit: FieldDef[] = [
  { name: 'CreatedDate', type: 'datetime' },
  { name: 'LastModifiedDate', type: 'datetime' },
];
const rw = { createable: true, updateable: true } as const;
const createOnly = { createable: true, updateable: false } as const;

function ref(name: string, to: string, relationshipName: string, access: Partial<FieldDef> = rw): FieldDef {
  return { name, type: 'reference', referenceTo: [to], relationshipName, ...access };
}

export const OBJECTS: Record<string, ObjectDef> = {
  User: {
    name: 'User', keyPrefix: '005', createable: true, updateable: true, deletable: false,
    fields: [
      id,
      { name: 'Username', type: 'string', length: 80, ...rw },
      { name: 'LastName', type: 'string', length: 80, ...rw },
      { name: 'FirstName', type: 'string', length: 40, ...rw },
      { name: 'Name', type: 'string', length: 121 },
      { name: 'Email', type: 'email', length: 128, ...rw },
      { name: 'Alias', type: 'string', length: 8, ...rw },
      { name: 'CommunityNickname', type: 'string', length: 40, ...rw },
      { name: 'TimeZoneSidKey', type: 'picklist', picklist: TIME_ZONES, label: 'Time Zone', ...rw },
      { name: 'LocaleSidKey', type: 'picklist', picklist: LOCALES, label: 'Locale', ...rw },
      { name: 'EmailEncodingKey', type: 'picklist', picklist: EMAIL_ENCODINGS, label: 'Email Encoding', ...rw },
      { name: 'LanguageLocaleKey', type: 'picklist', picklist: LANGUAGES, label: 'Language', ...rw },
      ref('ProfileId', 'Profile', 'Profile'),
      ref('UserRoleId', 'UserRole', 'UserRole'),
      ref('ManagerId', 'User', 'Manager'),
      { name: 'FederationIdentifier', type: 'string', length: 512, ...rw },
      { name: 'IsActive', type: 'boolean', ...rw },
      { name: 'Title', type: 'string', length: 80, ...rw },
      { name: 'Department', type: 'string', length: 80, ...rw },
      { name: 'Division', type: 'string', length: 80, ...rw },
      { name: 'CompanyName', type: 'string', length: 80, ...rw },
      { name: 'EmployeeNumber', type: 'string', length: 20, ...rw },
      { name: 'Phone', type: 'string', length: 40, ...rw },
      { name: 'UserType', type: 'string' },
      { name: 'LastLoginDate', type: 'datetime' },
      ...audit,
    ],
  },
  Profile: {
    name: 'Profile', keyPrefix: '00e', createable: false, updateable: false, deletable: false,
    fields: [id, { name: 'Name', type: 'string' }, { name: 'UserLicenseId', type: 'reference', referenceTo: ['UserLicense'], relationshipName: 'UserLicense' }, ...audit],
  },
  UserLicense: {
    name: 'UserLicense', keyPrefix: '100', createable: false, updateable: false, deletable: false,
    fields: [id, { name: 'Name', type: 'string' }, { name: 'TotalLicenses', type: 'int' }, { name: 'UsedLicenses', type: 'int' }],
  },
  UserRole: {
    name: 'UserRole', keyPrefix: '00E', createable: true, updateable: true, deletable: true,
    fields: [id, { name: 'Name', type: 'string', length: 80, ...rw }, { name: 'DeveloperName', type: 'string', length: 80, ...rw }, ref('ParentRoleId', 'UserRole', 'ParentRole'), ...audit],
  },
  PermissionSet: {
    name: 'PermissionSet', keyPrefix: '0PS', createable: true, updateable: true, deletable: true,
    fields: [
      id,
      { name: 'Name', type: 'string', length: 80, ...rw },
      { name: 'Label', type: 'string', length: 80, ...rw },
      { name: 'IsOwnedByProfile', type: 'boolean' },
      ref('ProfileId', 'Profile', 'Profile', {}),
      ref('LicenseId', 'UserLicense', 'License', createOnly),
      { name: 'PermissionSetGroupId', type: 'reference', referenceTo: ['PermissionSetGroup'] },
      ...audit,
    ],
  },
  PermissionSetAssignment: {
    name: 'PermissionSetAssignment', keyPrefix: '0Pa', createable: true, updateable: false, deletable: true,
    fields: [
      id,
      ref('AssigneeId', 'User', 'Assignee', createOnly),
      ref('PermissionSetId', 'PermissionSet', 'PermissionSet', createOnly),
      { name: 'PermissionSetGroupId', type: 'reference', referenceTo: ['PermissionSetGroup'], createable: true },
      { name: 'ExpirationDate', type: 'date', ...rw },
      { name: 'IsActive', type: 'boolean' },
      ...audit,
    ],
  },
  PermissionSetLicense: {
    name: 'PermissionSetLicense', keyPrefix: '0PL', createable: false, updateable: false, deletable: false,
    fields: [id, { name: 'DeveloperName', type: 'string' }, { name: 'MasterLabel', type: 'string' }, { name: 'TotalLicenses', type: 'int' }, { name: 'UsedLicenses', type: 'int' }, ...audit],
  },
  PermissionSetLicenseAssign: {
    name: 'PermissionSetLicenseAssign', keyPrefix: '2LA', createable: true, updateable: false, deletable: true,
    fields: [id, ref('AssigneeId', 'User', 'Assignee', createOnly), ref('PermissionSetLicenseId', 'PermissionSetLicense', 'PermissionSetLicense', createOnly), ...audit],
  },
  Group: {
    name: 'Group', keyPrefix: '00G', createable: true, updateable: true, deletable: true,
    fields: [
      id,
      { name: 'Name', type: 'string', length: 40, ...rw },
      { name: 'DeveloperName', type: 'string', length: 80, ...rw },
      { name: 'Type', type: 'picklist', picklist: ['Regular', 'Role', 'RoleAndSubordinates', 'Queue', 'Organization'], ...createOnly },
      ...audit,
    ],
  },
  GroupMember: {
    name: 'GroupMember', keyPrefix: '011', createable: true, updateable: false, deletable: true,
    fields: [id, ref('GroupId', 'Group', 'Group', createOnly), { name: 'UserOrGroupId', type: 'reference', referenceTo: ['User', 'Group'], createable: true }, ...audit],
  },
  // Enterprise Territory Management, fields as in Salesforce's object reference (Territory2,
  // Territory2Model, Territory2Type, UserTerritory2Association). Models, types and territories are
  // set up by admins (seeded here); integrations assign users. Model states: Planning, Active and
  // Archived of the documented set (which also has transient ones such as Cloning). The key prefixes
  // are not in the reference and are unverified.
  Territory2Model: {
    name: 'Territory2Model', keyPrefix: '0MA', createable: false, updateable: false, deletable: false,
    fields: [id, { name: 'Name', type: 'string', length: 80 }, { name: 'DeveloperName', type: 'string', length: 80 }, { name: 'State', type: 'picklist', picklist: ['Planning', 'Active', 'Archived'] }, ...audit],
  },
  Territory2Type: {
    name: 'Territory2Type', keyPrefix: '0M5', createable: false, updateable: false, deletable: false,
    fields: [id, { name: 'DeveloperName', type: 'string', length: 80 }, { name: 'MasterLabel', type: 'string', length: 80 }, { name: 'Priority', type: 'int' }, ...audit],
  },
  Territory2: {
    name: 'Territory2', keyPrefix: '0MI', createable: false, updateable: false, deletable: false,
    fields: [
      id,
      { name: 'Name', type: 'string', length: 80 },
      { name: 'DeveloperName', type: 'string', length: 80 },
      { name: 'Description', type: 'string', length: 1000 },
      ref('Territory2ModelId', 'Territory2Model', 'Territory2Model', {}),
      ref('Territory2TypeId', 'Territory2Type', 'Territory2Type', {}),
      ref('ParentTerritory2Id', 'Territory2', 'ParentTerritory2', {}),
      ...audit,
    ],
  },
  UserTerritory2Association: {
    // Supported calls: create, delete, query, retrieve (no update).
    name: 'UserTerritory2Association', keyPrefix: '0R0', createable: true, updateable: false, deletable: true,
    fields: [
      id,
      ref('UserId', 'User', 'User', createOnly),
      ref('Territory2Id', 'Territory2', 'Territory2', createOnly),
      { name: 'RoleInTerritory2', type: 'picklist', picklist: ['Owner', 'Administrator', 'Sales Rep'], createable: true },
      { name: 'IsActive', type: 'boolean' },
      ...audit,
    ],
  },
  UserLogin: {
    name: 'UserLogin', keyPrefix: '060', createable: false, updateable: true, deletable: false,
    fields: [id, ref('UserId', 'User', 'User', {}), { name: 'IsFrozen', type: 'boolean', updateable: true }, { name: 'IsPasswordLocked', type: 'boolean', updateable: true }, ...audit],
  },
};

/** SOQL and REST paths name objects and fields case-insensitively; responses use API casing. */
export function objectDef(name: string): ObjectDef | undefined {
  const lower = name.toLowerCase();
  return Object.values(OBJECTS).find((o) => o.name.toLowerCase() === lower);
}

export function fieldDef(object: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return object.fields.find((f) => f.name.toLowerCase() === lower);
}

export function relationshipDef(object: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return object.fields.find((f) => f.relationshipName?.toLowerCase() === lower);
}

/** The describe shape jsforce needs (name, fields[].name/type) plus what a client would inspect. */
export function describeObject(object: ObjectDef, version: string): Record<string, unknown> {
  return {
    name: object.name,
    label: object.name,
    keyPrefix: object.keyPrefix,
    createable: object.createable,
    updateable: object.updateable,
    deletable: object.deletable,
    queryable: true,
    childRelationships: [],
    urls: { sobject: `/services/data/v${version}/sobjects/${object.name}`, describe: `/services/data/v${version}/sobjects/${object.name}/describe` },
    fields: object.fields.map((f) => ({
      name: f.name,
      label: f.label ?? f.name,
      type: f.type === 'int' ? 'int' : f.type,
      length: f.length ?? 0,
      createable: !!f.createable,
      updateable: !!f.updateable,
      nillable: f.type !== 'boolean' && f.name !== 'Id',
      referenceTo: f.referenceTo ?? [],
      relationshipName: f.relationshipName ?? null,
      restrictedPicklist: !!f.picklist,
      picklistValues: (f.picklist ?? []).map((v) => ({ value: v, label: v, active: true, defaultValue: false })),
    })),
  };
}
