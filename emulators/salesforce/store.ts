import { badRequest, notFound, SalesforceApiError } from './errors';
import { IdGenerator, isWellFormedId } from './ids';
import { OBJECTS, fieldDef, objectDef, type FieldDef, type ObjectDef } from './schema';
import { toDeveloperName, type ParsedSalesforceSeed } from './seed';
import type { Row, RowSource } from './soql';
import { OBJECT_RULES } from './rules';

export interface StoreOptions {
  federationIdUnique: boolean;
}

/** Everything the org holds, as written to the emulator's state file (see ../state-file.ts). */
export interface SavedSalesforceOrg {
  orgId: string;
  usernamesTakenElsewhere: string[];
  tables: Record<string, Row[]>;
  requiredPermissionSetLicense: Record<string, string>;
  passwords: Record<string, string>;
  idCounter: number;
}

/**
 * The emulated org's data plus the generic REST write checks (unknown or read-only field, string
 * length, restricted picklists, email shape, reference shape and existence). Object-specific rules
 * (required User fields, license counting, duplicates) live in rules.ts.
 */
export class SalesforceStore implements RowSource {
  readonly tables = new Map<string, Map<string, Row>>();
  readonly usernamesTakenElsewhere: Set<string>;
  readonly orgId: string;
  /** Count of every successful write, so tests can assert "no extra writes". */
  writes = 0;
  /** Not an API field: the permission-set license a permission set's permissions need (by id). */
  readonly requiredPermissionSetLicense = new Map<string, string>();
  /** Not an API field: seeded passwords for the username–password flow, by user id. */
  readonly passwords = new Map<string, string>();
  private readonly ids = new IdGenerator();

  /** From the seed, or from a saved org (a restart with a state file): then the seed is not used. */
  constructor(seed: ParsedSalesforceSeed, readonly options: StoreOptions, saved?: SavedSalesforceOrg) {
    for (const name of Object.keys(OBJECTS)) this.tables.set(name, new Map());
    if (saved) {
      this.orgId = saved.orgId;
      this.usernamesTakenElsewhere = new Set(saved.usernamesTakenElsewhere);
      this.restore(saved);
      return;
    }
    this.orgId = seed.orgId.length === 15 ? seed.orgId + 'EAA' : seed.orgId;
    this.usernamesTakenElsewhere = new Set(seed.usernamesTakenElsewhere.map((u) => u.toLowerCase()));
    this.loadSeed(seed);
  }

  /** The whole org as plain JSON for the state file, id counter included so new ids never repeat old ones. */
  save(): SavedSalesforceOrg {
    return {
      orgId: this.orgId,
      usernamesTakenElsewhere: [...this.usernamesTakenElsewhere],
      tables: this.snapshot(),
      requiredPermissionSetLicense: Object.fromEntries(this.requiredPermissionSetLicense),
      passwords: Object.fromEntries(this.passwords),
      idCounter: this.ids.counter,
    };
  }

  private restore(saved: SavedSalesforceOrg): void {
    for (const [name, rows] of Object.entries(saved.tables)) {
      const table = this.tables.get(name);
      if (!table) throw new Error(`saved Salesforce org has rows of unknown object ${name}`);
      for (const row of rows) {
        // Fields the schema gained since the file was written read as null, as insertRaw would leave them.
        for (const f of OBJECTS[name].fields) if (!(f.name in row)) row[f.name] = null;
        table.set(row.Id as string, row);
      }
    }
    for (const [id, license] of Object.entries(saved.requiredPermissionSetLicense)) this.requiredPermissionSetLicense.set(id, license);
    for (const [id, password] of Object.entries(saved.passwords)) this.passwords.set(id, password);
    this.ids.counter = saved.idCounter;
  }

  rows(object: string): Row[] {
    return [...(this.tables.get(object)?.values() ?? [])];
  }

  byId(id: string): { type: string; row: Row } | undefined {
    const object = Object.values(OBJECTS).find((o) => id.startsWith(o.keyPrefix));
    if (!object) return undefined;
    const table = this.tables.get(object.name)!;
    const row = table.get(id) ?? (id.length === 15 ? [...table.values()].find((r) => String(r.Id).startsWith(id)) : undefined);
    return row ? { type: object.name, row } : undefined;
  }

  get(type: string, id: string): Row {
    const found = this.byId(id);
    if (!found || found.type !== type) throw notFound();
    return found.row;
  }

  find(type: string, predicate: (row: Row) => boolean): Row | undefined {
    return this.rows(type).find(predicate);
  }

  /** Inserts without REST validation: seeding and platform-created rows (UserLogin, owned PSAs). */
  insertRaw(type: string, fields: Row): Row {
    const object = OBJECTS[type];
    const now = new Date().toISOString().replace('Z', '+0000');
    const row: Row = { Id: this.ids.next(object.keyPrefix), CreatedDate: now, LastModifiedDate: now };
    for (const f of object.fields) if (!(f.name in row)) row[f.name] = null;
    Object.assign(row, fields);
    this.tables.get(type)!.set(row.Id as string, row);
    return row;
  }

  create(typeName: string, body: Row): { id: string; existing?: boolean } {
    const object = this.requireObject(typeName);
    if (!object.createable) throw new SalesforceApiError(405, 'METHOD_NOT_ALLOWED', "HTTP Method 'POST' not allowed. Allowed are GET,HEAD");
    const fields = this.checkFields(object, body, 'create');
    const rules = OBJECT_RULES[object.name];
    const existing = rules?.beforeCreate?.(this, fields);
    if (existing) return { id: existing, existing: true };
    const row = this.insertRaw(object.name, fields);
    rules?.afterCreate?.(this, row);
    this.writes += 1;
    return { id: row.Id as string };
  }

  update(typeName: string, id: string, body: Row): void {
    const object = this.requireObject(typeName);
    const row = this.get(object.name, id);
    if (!object.updateable) throw new SalesforceApiError(405, 'METHOD_NOT_ALLOWED', "HTTP Method 'PATCH' not allowed. Allowed are HEAD,GET,DELETE");
    const fields = this.checkFields(object, body, 'update');
    OBJECT_RULES[object.name]?.beforeUpdate?.(this, row, fields);
    const before = { ...row };
    Object.assign(row, fields, { LastModifiedDate: new Date().toISOString().replace('Z', '+0000') });
    OBJECT_RULES[object.name]?.afterUpdate?.(this, row, before);
    this.writes += 1;
  }

  delete(typeName: string, id: string): void {
    const object = this.requireObject(typeName);
    if (!object.deletable) {
      throw new SalesforceApiError(405, 'METHOD_NOT_ALLOWED', "HTTP Method 'DELETE' not allowed. Allowed are HEAD,GET,PATCH");
    }
    const row = this.get(object.name, id);
    OBJECT_RULES[object.name]?.beforeDelete?.(this, row);
    this.tables.get(object.name)!.delete(row.Id as string);
    OBJECT_RULES[object.name]?.afterDelete?.(this, row);
    this.writes += 1;
  }

  removeRaw(type: string, id: string): void {
    this.tables.get(type)!.delete(id);
  }

  requireObject(name: string): ObjectDef {
    const object = objectDef(name);
    if (!object) throw new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return object;
  }

  /** Copies every table so an allOrNone collection call can be rolled back; returns the restore function. */
  checkpoint(): () => void {
    const saved = new Map([...this.tables].map(([name, table]) => [name, new Map([...table].map(([id, row]) => [id, { ...row }]))]));
    const writes = this.writes;
    return () => {
      for (const [name, table] of saved) this.tables.set(name, table);
      this.writes = writes;
    };
  }

  /** Everything as plain JSON, for `GET /__emulator/state` and assertions. */
  snapshot(): Record<string, Row[]> {
    return Object.fromEntries([...this.tables].map(([name, table]) => [name, [...table.values()]]));
  }

  private checkFields(object: ObjectDef, body: Row, mode: 'create' | 'update'): Row {
    const out: Row = {};
    for (const [key, value] of Object.entries(body)) {
      if (key === 'attributes') continue;
      const field = fieldDef(object, key);
      if (!field) throw badRequest('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key]);
      const allowed = mode === 'create' ? field.createable : field.updateable;
      if (!allowed) {
        throw badRequest('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [field.name]);
      }
      out[field.name] = this.checkValue(field, value);
    }
    return out;
  }

  private checkValue(field: FieldDef, value: unknown): unknown {
    if (value === null || value === undefined || value === '') return field.type === 'boolean' ? false : null;
    const label = field.label ?? field.name;
    switch (field.type) {
      case 'boolean':
        if (typeof value !== 'boolean') throw badRequest('JSON_PARSER_ERROR', `Cannot deserialize instance of boolean from VALUE_STRING value ${String(value)} for field ${field.name}`, [field.name]);
        return value;
      case 'int':
        if (typeof value !== 'number') throw badRequest('JSON_PARSER_ERROR', `Cannot deserialize instance of int for field ${field.name}`, [field.name]);
        return value;
      case 'picklist':
        if (!field.picklist!.includes(String(value))) {
          throw badRequest('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${label}: bad value for restricted picklist field: ${String(value)}`, [field.name]);
        }
        return String(value);
      case 'reference': {
        if (!isWellFormedId(value)) throw badRequest('MALFORMED_ID', `${label}: id value of incorrect type: ${String(value)}`, [field.name]);
        const target = this.byId(value);
        if (!target || !field.referenceTo!.includes(target.type)) throw badRequest('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field.name]);
        return target.row.Id;
      }
      case 'email':
        if (typeof value !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
          throw badRequest('INVALID_EMAIL_ADDRESS', `${label}: invalid email address: ${String(value)}`, [field.name]);
        }
        break;
      default:
        if (typeof value !== 'string' && typeof value !== 'number') throw badRequest('JSON_PARSER_ERROR', `Cannot deserialize value for field ${field.name}`, [field.name]);
    }
    const text = String(value);
    if (field.length && text.length > field.length) {
      throw badRequest('STRING_TOO_LONG', `${label}: data value too large: ${text} (max length=${field.length})`, [field.name]);
    }
    return text;
  }

  private loadSeed(seed: ParsedSalesforceSeed): void {
    const licenseIds = new Map<string, string>();
    for (const [name, total] of Object.entries(seed.userLicenses)) {
      licenseIds.set(name, this.insertRaw('UserLicense', { Name: name, TotalLicenses: total, UsedLicenses: 0 }).Id as string);
    }
    const profileIds = new Map<string, string>();
    for (const p of seed.profiles) {
      const licenseId = licenseIds.get(p.license);
      if (!licenseId) throw new Error(`salesforce seed: profile "${p.name}" names unknown user license "${p.license}"`);
      const profile = this.insertRaw('Profile', { Name: p.name, UserLicenseId: licenseId });
      profileIds.set(p.name, profile.Id as string);
      this.insertRaw('PermissionSet', { Name: `X00e${toDeveloperName(p.name)}`, Label: p.name, IsOwnedByProfile: true, ProfileId: profile.Id, LicenseId: licenseId });
    }
    const roleIds = new Map<string, string>();
    for (const r of seed.roles) {
      const parent = r.parent ? roleIds.get(r.parent) : null;
      if (r.parent && !parent) throw new Error(`salesforce seed: role "${r.name}" names parent "${r.parent}" before it is defined`);
      roleIds.set(r.name, this.insertRaw('UserRole', { Name: r.name, DeveloperName: r.developerName ?? toDeveloperName(r.name), ParentRoleId: parent }).Id as string);
    }
    const pslIds = new Map<string, string>();
    for (const l of seed.permissionSetLicenses) {
      pslIds.set(l.name, this.insertRaw('PermissionSetLicense', { DeveloperName: toDeveloperName(l.name), MasterLabel: l.name, TotalLicenses: l.total, UsedLicenses: 0 }).Id as string);
    }
    for (const ps of seed.permissionSets) {
      const requiredPsl = ps.permissionSetLicense ? pslIds.get(ps.permissionSetLicense) : undefined;
      if (ps.permissionSetLicense && !requiredPsl) throw new Error(`salesforce seed: permission set "${ps.name}" names unknown license "${ps.permissionSetLicense}"`);
      const licenseId = ps.userLicense ? licenseIds.get(ps.userLicense) : null;
      if (ps.userLicense && !licenseId) throw new Error(`salesforce seed: permission set "${ps.name}" names unknown user license "${ps.userLicense}"`);
      const row = this.insertRaw('PermissionSet', { Name: ps.name, Label: ps.label ?? ps.name, IsOwnedByProfile: false, LicenseId: licenseId });
      if (requiredPsl) this.requiredPermissionSetLicense.set(row.Id as string, requiredPsl);
    }
    for (const g of seed.publicGroups) {
      const name = typeof g === 'string' ? g : g.name;
      const developerName = typeof g === 'string' ? toDeveloperName(g) : (g.developerName ?? toDeveloperName(g.name));
      this.insertRaw('Group', { Name: name, DeveloperName: developerName, Type: 'Regular' });
    }
    const modelIds = new Map<string, string>();
    for (const m of seed.territoryModels) modelIds.set(m.developerName, this.insertRaw('Territory2Model', { Name: m.name ?? m.developerName, DeveloperName: m.developerName, State: m.state }).Id as string);
    const typeId = seed.territories.length > 0 ? (this.insertRaw('Territory2Type', { DeveloperName: 'Geo', MasterLabel: 'Geo', Priority: 1 }).Id as string) : null;
    const territoryIds = new Map<string, string>();
    for (const t of seed.territories) {
      const modelId = modelIds.get(t.model);
      if (!modelId) throw new Error(`salesforce seed: territory "${t.developerName}" names unknown model "${t.model}"`);
      const parent = t.parent ? territoryIds.get(`${t.model}/${t.parent}`) : null;
      if (t.parent && !parent) throw new Error(`salesforce seed: territory "${t.developerName}" names parent "${t.parent}" before it is defined`);
      const row = this.insertRaw('Territory2', { Name: t.name ?? t.developerName, DeveloperName: t.developerName, Territory2ModelId: modelId, Territory2TypeId: typeId, ParentTerritory2Id: parent });
      territoryIds.set(`${t.model}/${t.developerName}`, row.Id as string);
    }
    for (const u of seed.users) {
      const profileId = profileIds.get(u.profile);
      if (!profileId) throw new Error(`salesforce seed: user "${u.Username}" names unknown profile "${u.profile}"`);
      const alias = u.Alias ?? (u.FirstName?.[0] ?? '') + u.LastName.slice(0, 4);
      const { id } = this.create('User', {
        Username: u.Username, LastName: u.LastName, FirstName: u.FirstName ?? null, Email: u.Email, Alias: alias.toLowerCase(),
        TimeZoneSidKey: 'America/Los_Angeles', LocaleSidKey: 'en_US', EmailEncodingKey: 'UTF-8', LanguageLocaleKey: 'en_US',
        ProfileId: profileId, UserRoleId: u.role ? roleIds.get(u.role) ?? null : null, FederationIdentifier: u.FederationIdentifier ?? null, IsActive: u.IsActive,
      });
      if (u.LastLoginDate) this.get('User', id).LastLoginDate = u.LastLoginDate;
      if (u.password) this.passwords.set(id, u.password);
      for (const psName of u.permissionSets) {
        const ps = this.find('PermissionSet', (r) => r.Name === psName);
        if (!ps) throw new Error(`salesforce seed: user "${u.Username}" names unknown permission set "${psName}"`);
        this.insertRaw('PermissionSetAssignment', { AssigneeId: id, PermissionSetId: ps.Id, IsActive: true });
      }
      for (const groupName of u.groups) {
        const group = this.find('Group', (r) => r.Name === groupName);
        if (!group) throw new Error(`salesforce seed: user "${u.Username}" names unknown group "${groupName}"`);
        this.insertRaw('GroupMember', { GroupId: group.Id, UserOrGroupId: id });
      }
    }
    this.writes = 0;
  }
}
