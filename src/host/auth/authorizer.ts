import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ObjectDirectory } from '../managed-object.js';
import type { PrivilegeCheck } from '../soap/method-handler.js';
import { isGlobalPrivilege } from './privileges.js';
import type { Role, RoleTable } from './roles.js';

/** Who holds which role on which entity (vim Permission); `propagate` extends it to descendants. */
export interface Permission {
  readonly entity: ManagedObjectReference;
  readonly principal: string;
  readonly roleId: number;
  readonly propagate: boolean;
}

export function entityKey(ref: ManagedObjectReference): string {
  return `${ref.type}:${ref.value}`;
}

// A path longer than this means a parent cycle in the inventory: refuse rather than loop.
const MAX_DEPTH = 64;

/**
 * The privilege check every SOAP call passes through (the dispatcher's Authorizer). As vCenter
 * evaluates permissions: walk from the checked object up its inventory parents to the root; the
 * nearest permission naming the user decides (on the object itself any permission counts, on an
 * ancestor only a propagating one); a user with none on the whole path has no privilege. Objects
 * outside the inventory tree (managers, tasks, views) hang under the root folder. Global.*
 * privileges count only where granted at the root.
 */
export class PermissionAuthorizer {
  private readonly byEntity = new Map<string, Permission[]>();

  constructor(
    private readonly directory: ObjectDirectory,
    private readonly rootFolder: ManagedObjectReference,
    private readonly roles: RoleTable,
    permissions: readonly Permission[],
  ) {
    for (const p of permissions) {
      const key = entityKey(p.entity);
      const list = this.byEntity.get(key) ?? [];
      if (list.some((q) => q.principal === p.principal)) {
        throw new Error(`two permissions for '${p.principal}' on ${key}`);
      }
      list.push(p);
      this.byEntity.set(key, list);
    }
  }

  /** The entity and its ancestors, nearest first, ending at the root folder. */
  private pathToRoot(entity: ManagedObjectReference): ManagedObjectReference[] {
    const path: ManagedObjectReference[] = [];
    const rootKey = entityKey(this.rootFolder);
    let at: ManagedObjectReference | undefined = entity;
    while (at && path.length < MAX_DEPTH) {
      path.push(at);
      if (entityKey(at) === rootKey) return path;
      at = this.directory.lookup(at)?.parent;
    }
    path.push(this.rootFolder);
    return path;
  }

  /** The role that decides what `userName` may do on `entity`, or undefined (no access). */
  effectiveRole(userName: string, entity: ManagedObjectReference): Role | undefined {
    const path = this.pathToRoot(entity);
    for (let i = 0; i < path.length; i++) {
      const found = this.byEntity.get(entityKey(path[i]!))?.find((p) => p.principal === userName);
      if (found && (i === 0 || found.propagate)) return this.roles.withId(found.roleId);
    }
    return undefined;
  }

  hasPrivilege(userName: string, entity: ManagedObjectReference, privilegeId: string): boolean {
    const where = isGlobalPrivilege(privilegeId) ? this.rootFolder : entity;
    return this.effectiveRole(userName, where)?.privileges.has(privilegeId) ?? false;
  }

  /** The privileges `userName` holds on `entity` (Global ones only if held at the root). */
  privilegesOn(userName: string, entity: ManagedObjectReference): string[] {
    const here = this.effectiveRole(userName, entity)?.privileges ?? new Set<string>();
    const atRoot = this.effectiveRole(userName, this.rootFolder)?.privileges ?? new Set<string>();
    const out = [...here].filter((id) => !isGlobalPrivilege(id));
    for (const id of atRoot) if (isGlobalPrivilege(id)) out.push(id);
    return out.sort();
  }

  /** Throws NoPermission naming the first missing privilege and its object, and every one missing. */
  check(userName: string, checks: readonly PrivilegeCheck[]): void {
    const missing = checks.filter((c) => !this.hasPrivilege(userName, c.entity, c.privilegeId));
    if (missing.length === 0) return;
    throw noPermission(missing);
  }

  /** The permissions defined on one entity (RetrieveEntityPermissions without inheritance). */
  permissionsOn(entity: ManagedObjectReference): Permission[] {
    return [...(this.byEntity.get(entityKey(entity)) ?? [])];
  }

  /** Every permission that applies to `entity`, nearest first (RetrieveEntityPermissions inherited=true). */
  permissionsApplying(entity: ManagedObjectReference): Permission[] {
    const path = this.pathToRoot(entity);
    const out: Permission[] = [];
    path.forEach((at, i) => {
      for (const p of this.byEntity.get(entityKey(at)) ?? []) if (i === 0 || p.propagate) out.push(p);
    });
    return out;
  }

  allPermissions(): Permission[] {
    return [...this.byEntity.values()].flat();
  }
}

export function noPermission(missing: readonly PrivilegeCheck[]): SoapFault {
  const first = missing[0]!;
  const byEntity = new Map<string, { entity: ManagedObjectReference; privilegeIds: string[] }>();
  for (const m of missing) {
    const key = entityKey(m.entity);
    const entry = byEntity.get(key) ?? { entity: m.entity, privilegeIds: [] };
    if (!entry.privilegeIds.includes(m.privilegeId)) entry.privilegeIds.push(m.privilegeId);
    byEntity.set(key, entry);
  }
  return new SoapFault(
    {
      _type: 'NoPermission',
      object: first.entity,
      privilegeId: first.privilegeId,
      missingPrivileges: [...byEntity.values()].map((e) => ({ _type: 'NoPermissionEntityPrivileges', ...e })),
    },
    `Permission to perform this operation was denied. Required privilege '${first.privilegeId}' on '${first.entity.type}:${first.entity.value}'.`,
  );
}
