import type { AttributeMapping, DisabledRule, LdapDirectoryConfig } from '../config';
import type { ResolvedMapping } from '../mapping';

export type ChangeAttribute = 'entryCSN' | 'uSNChanged' | 'modifyTimestamp';

export interface LdapPreset {
  anchorAttribute: string;
  /** The anchor arrives as bytes (AD objectGUID) and is formatted as a GUID string. */
  binaryAnchor: boolean;
  peopleFilter: string;
  groupFilter: string;
  groupNameAttribute: string;
  memberAttribute: string;
  changeAttribute: ChangeAttribute;
  /** Attribute holding the entry's own DN, for reading many entries by DN in one search. */
  dnAttribute: string;
  mapping: Omit<ResolvedMapping, 'extra'>;
  disabled: DisabledRule[];
}

const OPENLDAP_MAPPING: LdapPreset['mapping'] = {
  anchor: 'entryUUID',
  username: 'uid',
  email: 'mail',
  givenName: 'givenName',
  familyName: 'sn',
  displayName: 'displayName',
  employeeId: 'employeeNumber',
  employeeType: 'employeeType',
  department: 'departmentNumber',
  title: 'title',
  region: 'l',
  businessUnit: 'businessCategory',
  manager: 'manager',
};

/** Plain directory attribute sets per product; every entry can be overridden in config. */
export const LDAP_PRESETS: Record<LdapDirectoryConfig['preset'], LdapPreset> = {
  openldap: {
    anchorAttribute: 'entryUUID',
    binaryAnchor: false,
    peopleFilter: '(objectClass=inetOrgPerson)',
    groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
    groupNameAttribute: 'cn',
    memberAttribute: 'member',
    changeAttribute: 'entryCSN',
    dnAttribute: 'entryDN',
    mapping: OPENLDAP_MAPPING,
    disabled: [{ attribute: 'pwdAccountLockedTime', present: true, expired: false }],
  },
  activeDirectory: {
    anchorAttribute: 'objectGUID',
    binaryAnchor: true,
    peopleFilter: '(&(objectCategory=person)(objectClass=user))',
    groupFilter: '(objectClass=group)',
    groupNameAttribute: 'cn',
    memberAttribute: 'member',
    changeAttribute: 'uSNChanged',
    dnAttribute: 'distinguishedName',
    mapping: {
      anchor: 'objectGUID',
      username: 'sAMAccountName',
      email: 'mail',
      givenName: 'givenName',
      familyName: 'sn',
      displayName: 'displayName',
      employeeId: 'employeeID',
      employeeType: 'employeeType',
      department: 'department',
      title: 'title',
      region: 'co',
      businessUnit: 'division',
      manager: 'manager',
      endDate: 'accountExpires',
    },
    disabled: [
      { attribute: 'userAccountControl', bitmask: 0x2, present: false, expired: false },
      { attribute: 'accountExpires', expired: true, present: false },
    ],
  },
  // OTDS's LDAP listener (OpenDJ underneath): oTPerson/oTGroup with oTMember. Object class and
  // attribute names are taken from OTDS's published schema and could not be verified against a live server.
  otds: {
    anchorAttribute: 'entryUUID',
    binaryAnchor: false,
    peopleFilter: '(objectClass=oTPerson)',
    groupFilter: '(objectClass=oTGroup)',
    groupNameAttribute: 'cn',
    memberAttribute: 'oTMember',
    changeAttribute: 'modifyTimestamp',
    dnAttribute: 'entryDN',
    mapping: { ...OPENLDAP_MAPPING, username: 'cn', department: 'oTDepartment', businessUnit: 'oTCompany' },
    disabled: [{ attribute: 'ds-pwp-account-disabled', values: ['true'], present: false, expired: false }],
  },
};

export interface EffectiveLdapSettings extends LdapPreset {
  mapping: ResolvedMapping;
}

/** Preset + config overrides; config always wins. */
export function effectiveSettings(config: LdapDirectoryConfig): EffectiveLdapSettings {
  const preset = LDAP_PRESETS[config.preset];
  const overrides: AttributeMapping = config.attributes;
  const { extra, anchor, ...fieldOverrides } = overrides;
  const definedOverrides = Object.fromEntries(Object.entries(fieldOverrides).filter(([, v]) => v !== undefined));
  const anchorAttribute = anchor ?? preset.anchorAttribute;
  return {
    ...preset,
    anchorAttribute,
    binaryAnchor: anchorAttribute.toLowerCase() === 'objectguid',
    peopleFilter: config.people.filter ?? preset.peopleFilter,
    groupFilter: config.groups?.filter ?? preset.groupFilter,
    changeAttribute: config.changeAttribute ?? preset.changeAttribute,
    disabled: config.disabled ?? preset.disabled,
    mapping: { ...preset.mapping, ...definedOverrides, anchor: anchorAttribute, extra: extra ?? [] } as ResolvedMapping,
  };
}
