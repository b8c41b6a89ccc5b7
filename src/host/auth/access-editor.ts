import { readFile } from 'node:fs/promises';
import { AsyncMutex } from '../../vmdk/async-mutex.js';
import { writeFileReplacing } from '../../vmdk/replace-file.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { AccessControl } from './access-control.js';
import { entityKey, type Permission } from './authorizer.js';
import { isPrivilegeId } from './privileges.js';

/**
 * Role and permission edits over SOAP (AuthorizationManager AddAuthorizationRole,
 * UpdateAuthorizationRole, RemoveAuthorizationRole, SetEntityPermissions, ResetEntityPermissions,
 * RemoveEntityPermission), kept in the host's config file so they survive a restart. Each edit is
 * checked in full first (the faults vSphere gives: AlreadyExists, NotFound, UserNotFound,
 * InvalidArgument, RemoveFailed, AuthMinimumAdminPermission), then made in memory, then the config
 * is written (aside, sync, rename, folder sync; mode 0600); if the write fails the memory goes back
 * as it was, so what the host enforces is always what its config says. Edits are serialised.
 * Only `roles` and `permissions` of the file are rewritten; every other key stays as it was.
 */
export interface AccessEditorOptions {
  access: AccessControl;
  configFile: string;
  rootFolder: ManagedObjectReference;
  entityExists(ref: ManagedObjectReference): boolean;
  userExists(name: string): boolean;
  groupExists(name: string): boolean;
}

const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/;
const ADMIN_ROLE_ID = -1;

function invalidArgument(property: string, why: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: property }, `A specified parameter was not correct: ${property} (${why})`);
}

function notFound(what: string): SoapFault {
  return new SoapFault({ _type: 'NotFound' }, `The object or item referred to could not be found: ${what}.`);
}

export interface PermissionRequest {
  principal: string;
  group: boolean;
  roleId: number;
  propagate: boolean;
}

export class AccessEditor {
  private readonly lock = new AsyncMutex();

  constructor(private readonly options: AccessEditorOptions) {}

  private get access(): AccessControl {
    return this.options.access;
  }

  async addRole(name: string, privIds: readonly string[]): Promise<number> {
    return this.edit(() => {
      this.checkRoleName(name, undefined);
      this.checkPrivileges(privIds);
      return this.access.roles.create(name, privIds).roleId;
    });
  }

  async updateRole(roleId: number, newName: string, privIds: readonly string[] | undefined): Promise<void> {
    await this.edit(() => {
      this.customRole(roleId);
      this.checkRoleName(newName, roleId);
      if (privIds !== undefined) this.checkPrivileges(privIds);
      this.access.roles.update(roleId, newName, privIds);
    });
  }

  async removeRole(roleId: number, failIfUsed: boolean): Promise<void> {
    await this.edit(() => {
      this.customRole(roleId);
      const used = this.access.authorizer.allPermissions().some((p) => p.roleId === roleId);
      if (used && failIfUsed) throw new SoapFault({ _type: 'RemoveFailed' }, `The remove operation failed: role ${roleId} is used by permissions.`);
      this.access.authorizer.dropRole(roleId);
      this.access.roles.remove(roleId);
    });
  }

  /** SetEntityPermissions (`reset` false: add or replace per principal) and ResetEntityPermissions (`reset`: the whole set). */
  async setPermissions(entity: ManagedObjectReference, requests: readonly PermissionRequest[], reset: boolean): Promise<void> {
    await this.edit(() => {
      this.checkEntity(entity);
      const seen = new Set<string>();
      for (const r of requests) {
        this.checkPrincipal(r.principal, r.group);
        if (!this.access.roles.withId(r.roleId)) throw notFound(`role ${r.roleId}`);
        const key = `${r.group ? 'group' : 'user'}:${r.principal}`;
        if (seen.has(key)) throw invalidArgument('permission', `${r.principal} is named twice`);
        seen.add(key);
      }
      const current = reset ? [] : this.access.authorizer.permissionsOn(entity);
      const next = current.filter((p) => !seen.has(`${p.group ? 'group' : 'user'}:${p.principal}`));
      for (const r of requests) next.push({ entity, principal: r.principal, group: r.group, roleId: r.roleId, propagate: r.propagate });
      this.access.authorizer.replaceOn(entity, next);
    });
  }

  async removePermission(entity: ManagedObjectReference, principal: string, group: boolean): Promise<void> {
    await this.edit(() => {
      this.checkEntity(entity);
      const current = this.access.authorizer.permissionsOn(entity);
      const kept = current.filter((p) => !(p.principal === principal && p.group === group));
      if (kept.length === current.length) throw notFound(`a permission for ${group ? 'group ' : ''}${principal} on ${entityKey(entity)}`);
      this.access.authorizer.replaceOn(entity, kept);
    });
  }

  /** Run one edit: checks and change in memory, the admin rule, then the config write (undone on failure). */
  private async edit<T>(change: () => T): Promise<T> {
    const release = await this.lock.lock();
    const roles = this.access.roles.snapshot();
    const permissions = this.access.authorizer.snapshot();
    const hadAdmin = this.rootAdminRemains();
    try {
      const result = change();
      // vCenter keeps at least one administrator on the root folder: an edit that would leave none is refused.
      if (hadAdmin && !this.rootAdminRemains()) {
        throw new SoapFault({ _type: 'AuthMinimumAdminPermission' }, 'Cannot remove or change the last administrator permission on the root folder.');
      }
      await this.save();
      return result;
    } catch (error) {
      this.access.roles.restore(roles);
      this.access.authorizer.restore(permissions);
      throw error;
    } finally {
      release();
    }
  }

  /** A propagating Admin permission on the root folder for a user (or a group with a member). */
  private rootAdminRemains(): boolean {
    return this.access.authorizer.permissionsOn(this.options.rootFolder).some((p) =>
      p.roleId === ADMIN_ROLE_ID && p.propagate && (p.group ? this.access.accounts.names().some((u) => this.access.accounts.get(u)?.groups.includes(p.principal)) : this.options.userExists(p.principal)));
  }

  private async save(): Promise<void> {
    const raw = JSON.parse(await readFile(this.options.configFile, 'utf8')) as Record<string, unknown>;
    const roles = this.access.roles;
    raw.roles = roles.custom();
    raw.permissions = this.access.authorizer.allPermissions().map((p: Permission) => ({
      entity: p.entitySpec ?? entityKey(p.entity),
      principal: p.principal,
      ...(p.group ? { group: true } : {}),
      role: roles.withId(p.roleId)!.name,
      propagate: p.propagate,
    }));
    await writeFileReplacing(this.options.configFile, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  }

  private customRole(roleId: number): void {
    const r = this.access.roles.withId(roleId);
    if (!r) throw notFound(`role ${roleId}`);
    if (r.system) throw invalidArgument('roleId', `${r.name} is a system role`);
  }

  private checkRoleName(name: string, self: number | undefined): void {
    if (!ROLE_NAME.test(name)) throw invalidArgument('name', 'a role name is 1..128 letters, digits, space . _ -');
    const existing = this.access.roles.named(name);
    if (existing && existing.roleId !== self) throw new SoapFault({ _type: 'AlreadyExists', name }, `The specified key, name, or identifier '${name}' already exists.`);
  }

  private checkPrivileges(privIds: readonly string[]): void {
    const bad = privIds.find((id) => !isPrivilegeId(id));
    if (bad !== undefined) throw invalidArgument('privIds', `'${bad.slice(0, 100)}' is not a privilege id`);
  }

  private checkEntity(entity: ManagedObjectReference): void {
    if (!this.options.entityExists(entity)) {
      throw new SoapFault({ _type: 'ManagedObjectNotFound', obj: entity },
        `The object 'vim.${entity.type}:${entity.value}' has already been deleted or has not been completely created`);
    }
  }

  private checkPrincipal(principal: string, group: boolean): void {
    const known = group ? this.options.groupExists(principal) : this.options.userExists(principal);
    if (!known) throw new SoapFault({ _type: 'UserNotFound', principal, unresolved: false }, `The user or group named '${principal.slice(0, 100)}' was not found.`);
  }
}
