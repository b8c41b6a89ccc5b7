import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { HostConfig } from '../config.js';
import type { ObjectDirectory } from '../managed-object.js';
import { AccountTable } from './accounts.js';
import { PermissionAuthorizer, type Permission } from './authorizer.js';
import { resolveEntity } from './entity-path.js';
import { parsePasswordHash } from './password-hash.js';
import { RoleTable } from './roles.js';

/** Who may log in and what each may do, built from a validated config against the inventory. */
export interface AccessControl {
  accounts: AccountTable;
  roles: RoleTable;
  authorizer: PermissionAuthorizer;
}

/** Throws one line naming the config key when a permission names no object of the inventory. */
export function buildAccessControl(config: HostConfig, directory: ObjectDirectory, rootFolder: ManagedObjectReference): AccessControl {
  const accounts = new AccountTable(config.users.map((u) => ({ name: u.name, fullName: u.fullName, passwordHash: parsePasswordHash(u.passwordHash), groups: u.groups ?? [] })));
  const roles = new RoleTable(config.roles);
  const permissions: Permission[] = config.permissions.map((p, i) => {
    const entity = resolveEntity(p.entity, directory, rootFolder);
    if (!entity) throw new Error(`permissions[${i}].entity: '${p.entity}' names no object of the inventory`);
    return { entity, principal: p.principal, group: p.group === true, roleId: roles.named(p.role)!.roleId, propagate: p.propagate, entitySpec: p.entity };
  });
  return { accounts, roles, authorizer: new PermissionAuthorizer(directory, rootFolder, roles, permissions, (user) => accounts.get(user)?.groups ?? []) };
}
