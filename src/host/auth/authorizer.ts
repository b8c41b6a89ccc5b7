import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ObjectDirectory } from '../managed-object.js';
import type { PrivilegeCheck } from '../soap/method-handler.js';
import { isGlobalPrivilege } from './privileges.js';
import type { RoleTable } from './roles.js';

/** Who holds which role on which entity (vim Permission); `propagate` extends it to descendants. */
export interface Permission {
  readonly entity: ManagedObjectReference;
  readonly principal: string;
  /** The principal is a group: the permission applies to its members. */
  readonly group: boolean;
  readonly roleId: number;
  readonly propagate: boolean;
  /** How the config names the entity (`/dc1/vm/web`, `VirtualMachine:vm-16`), kept when it is written back. */
  readonly entitySpec?: string;
}

const samePrincipal = (p: Permission, principal: string, group: boolean) => p.principal === principal && p.group === group;

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
    /** The groups a user belongs to (group permissions apply to their members). */
    private readonly groupsOf: (userName: string) => readonly string[] = () => [],
  ) {
    for (const p of permissions) {
      const key = entityKey(p.entity);
      const list = this.byEntity.get(key) ?? [];
      if (list.some((q) => samePrincipal(q, p.principal, p.group))) {
        throw new Error(`two permissions for ${p.group ? 'group ' : ''}'${p.principal}' on ${key}`);
      }
      list.push(p);
      this.byEntity.set(key, list);
    }
  }

  /** Replace every permission defined on `entity` (SetEntityPermissions / ResetEntityPermissions after their checks). */
  replaceOn(entity: ManagedObjectReference, permissions: readonly Permission[]): void {
    if (permissions.length === 0) this.byEntity.delete(entityKey(entity));
    else this.byEntity.set(entityKey(entity), [...permissions]);
  }

  /** Every permission as it is now, to put back with `restore` when a change cannot be saved. */
  snapshot(): Map<string, Permission[]> {
    return new Map([...this.byEntity].map(([k, v]) => [k, [...v]]));
  }

  restore(saved: Map<string, Permission[]>): void {
    this.byEntity.clear();
    for (const [k, v] of saved) this.byEntity.set(k, [...v]);
  }

  /** Drop every permission that names `roleId` (RemoveAuthorizationRole with failIfUsed false). */
  dropRole(roleId: number): void {
    for (const [key, list] of this.byEntity) {
      const kept = list.filter((p) => p.roleId !== roleId);
      if (kept.length === 0) this.byEntity.delete(key);
      else this.byEntity.set(key, kept);
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

  /**
   * The privileges `userName` holds on `entity`, or undefined (no access). As vCenter decides:
   * walking up from the entity, the nearest level with a permission that applies decides; there a
   * permission naming the user wins over those of its groups, and the roles of several of its
   * groups add up.
   */
  effectivePrivileges(userName: string, entity: ManagedObjectReference): ReadonlySet<string> | undefined {
    const path = this.pathToRoot(entity);
    const groups = this.groupsOf(userName);
    for (let i = 0; i < path.length; i++) {
      const here = (this.byEntity.get(entityKey(path[i]!)) ?? []).filter((p) => i === 0 || p.propagate);
      const own = here.find((p) => samePrincipal(p, userName, false));
      if (own) return this.roles.withId(own.roleId)?.privileges;
      const viaGroups = groups.length === 0 ? [] : here.filter((p) => p.group && groups.includes(p.principal));
      if (viaGroups.length === 1) return this.roles.withId(viaGroups[0]!.roleId)?.privileges;
      if (viaGroups.length > 1) {
        const union = new Set<string>();
        for (const p of viaGroups) for (const id of this.roles.withId(p.roleId)?.privileges ?? []) union.add(id);
        return union;
      }
    }
    return undefined;
  }

  hasPrivilege(userName: string, entity: ManagedObjectReference, privilegeId: string): boolean {
    const where = isGlobalPrivilege(privilegeId) ? this.rootFolder : entity;
    return this.effectivePrivileges(userName, where)?.has(privilegeId) ?? false;
  }

  /** The privileges `userName` holds on `entity` (Global ones only if held at the root). */
  privilegesOn(userName: string, entity: ManagedObjectReference): string[] {
    const here = this.effectivePrivileges(userName, entity) ?? new Set<string>();
    const atRoot = this.effectivePrivileges(userName, this.rootFolder) ?? new Set<string>();
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
