import type { ParsedHubspotSeed } from './seed';

/**
 * The account state behind the emulator: users, roles and teams, with HubSpot's rules.
 * Choices where HubSpot documents nothing (kept here, in one place):
 * - ASSUMPTION: creating an email that already exists (any letter case) is 409 CONFLICT with a
 *   message naming the existing id, in the style of HubSpot's CRM conflict errors.
 * - ASSUMPTION: unknown roleId / primaryTeamId / secondaryTeamIds is 400 VALIDATION_ERROR.
 * - ASSUMPTION: super admins cannot be deleted through this API (400 VALIDATION_ERROR).
 * - PUT is a partial update (HubSpot documents sending only the fields to change); a field present
 *   with "" or null clears it (roleId, primaryTeamId), and secondaryTeamIds: [] clears the list.
 * - A user's email cannot change; PUT bodies never carry it through the SDK, raw bodies that try
 *   are rejected.
 */
export interface EmulatedUser {
  id: string;
  email: string;
  firstName?: string;
  lastName?: string;
  roleId?: string;
  primaryTeamId?: string;
  secondaryTeamIds: string[];
  superAdmin: boolean;
}

export interface EmulatedRole {
  id: string;
  name: string;
  requiresBillingWrite: boolean;
}

export interface EmulatedTeam {
  id: string;
  name: string;
}

export interface ErrorDetail {
  message: string;
  in?: string;
  code?: string;
  context?: Record<string, unknown>;
}

/** A HubSpot error response waiting to be written; the server adds correlationId and headers. */
export class HubspotApiError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly errors?: ErrorDetail[],
  ) {
    super(message);
  }
}

export interface UserWrite {
  email?: unknown;
  firstName?: unknown;
  lastName?: unknown;
  roleId?: unknown;
  primaryTeamId?: unknown;
  secondaryTeamIds?: unknown;
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The account as written to the emulator's state file (see ../state-file.ts). */
export interface SavedHubspotAccount {
  roles: EmulatedRole[];
  teams: EmulatedTeam[];
  users: EmulatedUser[];
  nextUserId: number;
}

export class HubspotStore {
  readonly roles = new Map<string, EmulatedRole>();
  readonly teams = new Map<string, EmulatedTeam>();
  /** Insertion order = ascending numeric id, which gives paging a stable order. */
  private readonly users = new Map<string, EmulatedUser>();
  private nextUserId = 1001;

  /** From the seed, or from a saved account (a restart with a state file): then the seed is not used. */
  constructor(seed: ParsedHubspotSeed, saved?: SavedHubspotAccount) {
    if (saved) {
      for (const role of saved.roles) this.roles.set(role.id, role);
      for (const team of saved.teams) this.teams.set(team.id, team);
      for (const user of saved.users) this.users.set(user.id, user);
      this.nextUserId = saved.nextUserId;
      return;
    }
    let roleId = 100;
    for (const r of seed.roles) {
      const id = r.id ?? String(roleId++);
      this.roles.set(id, { id, name: r.name, requiresBillingWrite: r.requiresBillingWrite });
    }
    let teamId = 200;
    for (const t of seed.teams) {
      const id = t.id ?? String(teamId++);
      this.teams.set(id, { id, name: t.name });
    }
    const roleByName = (name?: string) => (name ? [...this.roles.values()].find((r) => r.name === name)?.id : undefined);
    const teamByName = (name?: string) => (name ? [...this.teams.values()].find((t) => t.name === name)?.id : undefined);
    for (const u of seed.users) {
      this.insert({
        email: u.email,
        firstName: u.firstName,
        lastName: u.lastName,
        roleId: roleByName(u.role),
        primaryTeamId: teamByName(u.primaryTeam),
        secondaryTeamIds: u.secondaryTeams.map((t) => teamByName(t)!).filter(Boolean),
        superAdmin: u.superAdmin,
      });
    }
  }

  /** Everything, user id counter included so a deleted user's id is never handed out again. */
  save(): SavedHubspotAccount {
    return { roles: [...this.roles.values()], teams: [...this.teams.values()], users: this.allUsers(), nextUserId: this.nextUserId };
  }

  get userCount(): number {
    return this.users.size;
  }

  allUsers(): EmulatedUser[] {
    return [...this.users.values()];
  }

  findByEmail(email: string): EmulatedUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.email.toLowerCase() === wanted) return user;
    return undefined;
  }

  /** `{id}` of /settings/v3/users/{id}: a user id, or an email when idProperty=EMAIL. */
  resolve(rawId: string, idProperty: string | null): EmulatedUser {
    const property = idProperty ?? 'USER_ID';
    let user: EmulatedUser | undefined;
    if (property === 'EMAIL') user = this.findByEmail(rawId);
    else if (property === 'USER_ID') user = this.users.get(rawId);
    else throw new HubspotApiError(400, 'VALIDATION_ERROR', `Invalid idProperty "${property}"; expected USER_ID or EMAIL`, [{ message: 'invalid enum value', in: 'idProperty' }]);
    if (!user) throw new HubspotApiError(404, 'OBJECT_NOT_FOUND', 'Resource not found', [{ message: `No user with ${property} ${rawId}`, in: 'userId' }]);
    return user;
  }

  /** Roles the write would assign that need the billing-write scope (checked by the server against the token). */
  billingRolesIn(write: UserWrite): EmulatedRole[] {
    const role = typeof write.roleId === 'string' ? this.roles.get(write.roleId) : undefined;
    return role?.requiresBillingWrite ? [role] : [];
  }

  create(write: UserWrite): EmulatedUser {
    if (typeof write.email !== 'string' || !EMAIL_SHAPE.test(write.email)) {
      throw new HubspotApiError(400, 'VALIDATION_ERROR', 'Invalid input: email is required and must be a valid email address', [{ message: 'invalid email', in: 'email' }]);
    }
    const existing = this.findByEmail(write.email);
    if (existing) {
      throw new HubspotApiError(409, 'CONFLICT', `A user with email ${existing.email} already exists. Existing ID: ${existing.id}`, [
        { message: 'duplicate email', in: 'email', context: { existingId: [existing.id] } },
      ]);
    }
    const fields = this.validatedFields(write);
    return this.insert({ email: write.email, secondaryTeamIds: [], superAdmin: false, ...fields });
  }

  update(user: EmulatedUser, write: UserWrite): EmulatedUser {
    if (write.email !== undefined && (typeof write.email !== 'string' || write.email.toLowerCase() !== user.email.toLowerCase())) {
      throw new HubspotApiError(400, 'VALIDATION_ERROR', 'Invalid input: a user\'s email cannot be changed', [{ message: 'email is read-only', in: 'email' }]);
    }
    Object.assign(user, this.validatedFields(write));
    this.normaliseTeams(user);
    return user;
  }

  remove(user: EmulatedUser): void {
    if (user.superAdmin) {
      throw new HubspotApiError(400, 'VALIDATION_ERROR', 'Super admins cannot be removed through this API', [{ message: 'user is a super admin', in: 'userId' }]);
    }
    this.users.delete(user.id);
  }

  /** Users after the cursor (exclusive), in ascending id order; `after` is an id. */
  page(limit: number, afterId?: string): { results: EmulatedUser[]; lastId?: string; more: boolean } {
    const after = afterId ? Number(afterId) : -Infinity;
    const candidates = [...this.users.values()].filter((u) => Number(u.id) > after);
    const results = candidates.slice(0, limit);
    return { results, lastId: results.at(-1)?.id, more: candidates.length > results.length };
  }

  teamsView(): { id: string; name: string; userIds: string[]; secondaryUserIds: string[] }[] {
    return [...this.teams.values()].map((team) => ({
      id: team.id,
      name: team.name,
      userIds: this.allUsers().filter((u) => u.primaryTeamId === team.id).map((u) => u.id),
      secondaryUserIds: this.allUsers().filter((u) => u.secondaryTeamIds.includes(team.id)).map((u) => u.id),
    }));
  }

  toPublic(user: EmulatedUser, sendWelcomeEmail = false): Record<string, unknown> {
    const body: Record<string, unknown> = {
      id: user.id,
      email: user.email,
      roleIds: user.roleId ? [user.roleId] : [],
      secondaryTeamIds: [...user.secondaryTeamIds],
      superAdmin: user.superAdmin,
      sendWelcomeEmail,
    };
    if (user.firstName !== undefined) body.firstName = user.firstName;
    if (user.lastName !== undefined) body.lastName = user.lastName;
    if (user.roleId) body.roleId = user.roleId;
    if (user.primaryTeamId) body.primaryTeamId = user.primaryTeamId;
    return body;
  }

  private insert(fields: Omit<EmulatedUser, 'id'>): EmulatedUser {
    const user: EmulatedUser = { id: String(this.nextUserId++), ...fields };
    this.normaliseTeams(user);
    this.users.set(user.id, user);
    return user;
  }

  /** A primary team is never also listed as secondary (HubSpot shows each team once per user). */
  private normaliseTeams(user: EmulatedUser): void {
    user.secondaryTeamIds = [...new Set(user.secondaryTeamIds)].filter((id) => id !== user.primaryTeamId);
  }

  private validatedFields(write: UserWrite): Partial<EmulatedUser> {
    const out: Partial<EmulatedUser> = {};
    for (const name of ['firstName', 'lastName'] as const) {
      const value = write[name];
      if (value === undefined) continue;
      if (value !== null && typeof value !== 'string') throw invalidField(name, 'must be a string');
      out[name] = value ?? undefined;
    }
    if (write.roleId !== undefined) out.roleId = this.optionalReference(write.roleId, 'roleId', (id) => this.roles.has(id), 'role');
    if (write.primaryTeamId !== undefined) out.primaryTeamId = this.optionalReference(write.primaryTeamId, 'primaryTeamId', (id) => this.teams.has(id), 'team');
    if (write.secondaryTeamIds !== undefined) {
      const ids = write.secondaryTeamIds ?? [];
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw invalidField('secondaryTeamIds', 'must be an array of team ids');
      for (const id of ids as string[]) if (!this.teams.has(id)) throw unknownReference('secondaryTeamIds', 'team', id);
      out.secondaryTeamIds = ids as string[];
    }
    return out;
  }

  private optionalReference(value: unknown, field: string, exists: (id: string) => boolean, noun: string): string | undefined {
    if (value === null || value === '') return undefined;
    if (typeof value !== 'string') throw invalidField(field, 'must be a string id');
    if (!exists(value)) throw unknownReference(field, noun, value);
    return value;
  }
}

function invalidField(field: string, problem: string): HubspotApiError {
  return new HubspotApiError(400, 'VALIDATION_ERROR', `Invalid input: ${field} ${problem}`, [{ message: problem, in: field }]);
}

function unknownReference(field: string, noun: string, id: string): HubspotApiError {
  return new HubspotApiError(400, 'VALIDATION_ERROR', `Invalid input: ${noun} ${id} does not exist in this account`, [
    { message: `${noun} ${id} does not exist`, in: field, code: 'INVALID_REFERENCE' },
  ]);
}
