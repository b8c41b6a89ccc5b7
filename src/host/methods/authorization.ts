import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { AccessControl } from '../auth/access-control.js';
import type { Permission } from '../auth/authorizer.js';
import type { DisabledMethods } from '../auth/disabled-methods.js';
import type { AccessEditor, PermissionRequest } from '../auth/access-editor.js';
import { PRIVILEGE_IDS } from '../auth/privileges.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import type { MethodTable, SoapCall } from '../soap/method-handler.js';

/**
 * The AuthorizationManager: its roleList/privilegeList properties, the permission queries clients
 * make (RetrieveRolePermissions, RetrieveEntityPermissions, RetrieveAllPermissions,
 * HasPrivilegeOnEntity/Entities, FetchUserPrivilegeOnEntities, HasUserPrivilegeOnEntities), and
 * the internal DisableMethods/EnableMethods of VDDK's PrepareForAccess/EndAccess (§2.3.9).
 * Roles and permissions come from the config; the role and permission edits change it
 * (auth/access-editor.ts), with the privileges vCenter requires: Authorization.ModifyRoles at the
 * root for roles, Authorization.ModifyPermissions on the entity for permissions.
 */

export interface AuthorizationOptions {
  ref: ManagedObjectReference;
  personality: 'esxi' | 'vcenter';
  rootFolder: ManagedObjectReference;
  access: AccessControl;
  disabled: DisabledMethods;
  directory: ObjectDirectory;
  /** Role and permission edits, saved in the config (SOAP edits are refused when absent). */
  editor?: AccessEditor;
  /** The user of a live session by its key (HasPrivilegeOnEntity names a session), or undefined. */
  userOfSession(sessionKey: string): string | undefined;
}

function invalidArgument(property: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: property }, `A specified parameter was not correct: ${property}`);
}

function morefList(value: unknown, property: string): ManagedObjectReference[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  for (const v of list) {
    if (typeof v !== 'object' || v === null || (v as { _type?: string })._type !== 'ManagedObjectReference') throw invalidArgument(property);
  }
  return list as ManagedObjectReference[];
}

function stringList(value: unknown, property: string): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  if (!list.every((v) => typeof v === 'string')) throw invalidArgument(property);
  return list as string[];
}

function vimPermission(p: Permission): Record<string, unknown> {
  return { _type: 'Permission', entity: p.entity, principal: p.principal, group: p.group, roleId: p.roleId, propagate: p.propagate };
}

/** The Permission[] of SetEntityPermissions / ResetEntityPermissions, each checked for shape. */
function permissionRequests(value: unknown): PermissionRequest[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) => {
    const p = v as Partial<Record<'principal' | 'group' | 'roleId' | 'propagate', unknown>>;
    if (typeof p !== 'object' || p === null || typeof p.principal !== 'string' || p.principal === '' || typeof p.roleId !== 'number') {
      throw invalidArgument('permission');
    }
    return { principal: p.principal, group: p.group === true, roleId: p.roleId, propagate: p.propagate !== false };
  });
}

export class AuthorizationManagerObject implements ManagedObject {
  readonly ref: ManagedObjectReference;

  constructor(private readonly options: AuthorizationOptions) {
    this.ref = options.ref;
  }

  property(name: string): unknown {
    if (name === 'roleList') {
      return this.options.access.roles.all().map((r) => ({
        _type: 'AuthorizationRole', roleId: r.roleId, system: r.system, name: r.name,
        info: { _type: 'Description', label: r.label, summary: r.label },
        privilege: [...r.privileges].sort(),
      }));
    }
    if (name === 'privilegeList') {
      return PRIVILEGE_IDS.map((id) => ({
        _type: 'AuthorizationPrivilege', privId: id, onParent: false, name: id.slice(id.lastIndexOf('.') + 1),
        privGroupName: id.slice(0, id.lastIndexOf('.')),
      }));
    }
    return undefined;
  }
}

export function authorizationMethods(options: AuthorizationOptions): MethodTable {
  const { access, disabled, rootFolder } = options;
  const atRoot = (privilegeId: string) => (_call: SoapCall) => [{ privilegeId, entity: rootFolder }];
  const entityExists = (ref: ManagedObjectReference, property: string) => {
    if (!options.directory.lookup(ref)) {
      throw new SoapFault({ _type: 'ManagedObjectNotFound', obj: ref },
        `The object 'vim.${ref.type}:${ref.value}' has already been deleted or has not been completely created`);
    }
    return property;
  };
  const onlyOnVcenter = () => {
    // hostd has no DisableMethods: VDDK calls it only against vCenter (PrepareForAccess is a no-op
    // on a bare host), so an ESXi host answers as for any method it does not implement.
    if (options.personality !== 'vcenter') {
      throw new SoapFault({ _type: 'NotSupported' }, 'The operation is not supported on the object.');
    }
  };
  const privilegeTable = (userName: string, entities: ManagedObjectReference[], privIds: string[]) =>
    entities.map((entity) => {
      entityExists(entity, 'entity');
      return {
        _type: 'EntityPrivilege', entity,
        privAvailability: privIds.map((privId) => ({
          _type: 'PrivilegeAvailability', privId, isGranted: access.authorizer.hasPrivilege(userName, entity, privId),
        })),
      };
    });
  const sessionUser = (call: SoapCall) => {
    const sessionId = call.args.sessionId;
    if (typeof sessionId !== 'string') throw invalidArgument('sessionId');
    const user = sessionId === call.session?.key ? call.session.userName : options.userOfSession(sessionId);
    if (user === undefined) throw invalidArgument('sessionId');
    return user;
  };

  const editor = (): AccessEditor => {
    if (!options.editor) throw new SoapFault({ _type: 'NotSupported' }, 'The operation is not supported on the object.');
    return options.editor;
  };
  const onEntity = (privilegeId: string) => (call: SoapCall) => [{ privilegeId, entity: morefList(call.args.entity, 'entity')[0] ?? rootFolder }];
  const oneEntity = (call: SoapCall): ManagedObjectReference => {
    const [entity] = morefList(call.args.entity, 'entity');
    if (!entity) throw invalidArgument('entity');
    return entity;
  };
  const roleId = (call: SoapCall): number => {
    if (typeof call.args.roleId !== 'number' || !Number.isInteger(call.args.roleId)) throw invalidArgument('roleId');
    return call.args.roleId;
  };

  return new Map([
    ['AddAuthorizationRole', {
      privilege: atRoot('Authorization.ModifyRoles'),
      run: async (call: SoapCall) => {
        if (typeof call.args.name !== 'string') throw invalidArgument('name');
        return editor().addRole(call.args.name, stringList(call.args.privIds, 'privIds'));
      },
    }],
    ['UpdateAuthorizationRole', {
      privilege: atRoot('Authorization.ModifyRoles'),
      run: async (call: SoapCall) => {
        if (typeof call.args.newName !== 'string') throw invalidArgument('newName');
        await editor().updateRole(roleId(call), call.args.newName,
          call.args.privIds === undefined ? undefined : stringList(call.args.privIds, 'privIds'));
        return undefined;
      },
    }],
    ['RemoveAuthorizationRole', {
      privilege: atRoot('Authorization.ModifyRoles'),
      run: async (call: SoapCall) => {
        await editor().removeRole(roleId(call), call.args.failIfUsed === true);
        return undefined;
      },
    }],
    ['SetEntityPermissions', {
      privilege: onEntity('Authorization.ModifyPermissions'),
      run: async (call: SoapCall) => {
        await editor().setPermissions(oneEntity(call), permissionRequests(call.args.permission), false);
        return undefined;
      },
    }],
    ['ResetEntityPermissions', {
      privilege: onEntity('Authorization.ModifyPermissions'),
      run: async (call: SoapCall) => {
        await editor().setPermissions(oneEntity(call), permissionRequests(call.args.permission), true);
        return undefined;
      },
    }],
    ['RemoveEntityPermission', {
      privilege: onEntity('Authorization.ModifyPermissions'),
      run: async (call: SoapCall) => {
        if (typeof call.args.user !== 'string') throw invalidArgument('user');
        await editor().removePermission(oneEntity(call), call.args.user, call.args.isGroup === true);
        return undefined;
      },
    }],
    ['DisableMethods', {
      privilege: atRoot('Global.DisableMethods'),
      run: async (call: SoapCall) => {
        onlyOnVcenter();
        const entities = morefList(call.args.entity, 'entity');
        entities.forEach((e) => entityExists(e, 'entity'));
        const requests = (Array.isArray(call.args.method) ? call.args.method : [call.args.method]).map((m) => {
          const r = m as { method?: unknown; reasonId?: unknown };
          if (typeof r?.method !== 'string') throw invalidArgument('method');
          return { method: r.method, ...(typeof r.reasonId === 'string' ? { reasonId: r.reasonId } : {}) };
        });
        if (typeof call.args.sourceId !== 'string') throw invalidArgument('sourceId');
        await disabled.disable(entities, requests, call.args.sourceId);
        return undefined;
      },
    }],
    ['EnableMethods', {
      privilege: atRoot('Global.EnableMethods'),
      run: async (call: SoapCall) => {
        onlyOnVcenter();
        const entities = morefList(call.args.entity, 'entity');
        if (typeof call.args.sourceId !== 'string') throw invalidArgument('sourceId');
        await disabled.enable(entities, stringList(call.args.method, 'method'), call.args.sourceId);
        return undefined;
      },
    }],
    ['RetrieveRolePermissions', {
      privilege: 'System.View',
      run: (call: SoapCall) => {
        if (typeof call.args.roleId !== 'number' || !access.roles.withId(call.args.roleId)) throw invalidArgument('roleId');
        return access.authorizer.allPermissions().filter((p) => p.roleId === call.args.roleId).map(vimPermission);
      },
    }],
    ['RetrieveEntityPermissions', {
      privilege: (call: SoapCall) => [{ privilegeId: 'System.Read', entity: morefList(call.args.entity, 'entity')[0] ?? rootFolder }],
      run: (call: SoapCall) => {
        const [entity] = morefList(call.args.entity, 'entity');
        if (!entity) throw invalidArgument('entity');
        entityExists(entity, 'entity');
        const list = call.args.inherited === true ? access.authorizer.permissionsApplying(entity) : access.authorizer.permissionsOn(entity);
        return list.map(vimPermission);
      },
    }],
    ['RetrieveAllPermissions', { privilege: 'System.View', run: () => access.authorizer.allPermissions().map(vimPermission) }],
    ['HasPrivilegeOnEntity', {
      privilege: 'System.View',
      run: (call: SoapCall) => {
        const [entity] = morefList(call.args.entity, 'entity');
        if (!entity) throw invalidArgument('entity');
        const user = sessionUser(call);
        return privilegeTable(user, [entity], stringList(call.args.privId, 'privId'))[0]!.privAvailability.map((a) => a.isGranted);
      },
    }],
    ['HasPrivilegeOnEntities', {
      privilege: 'System.View',
      run: (call: SoapCall) => privilegeTable(sessionUser(call), morefList(call.args.entity, 'entity'), stringList(call.args.privId, 'privId')),
    }],
    ['HasUserPrivilegeOnEntities', {
      privilege: 'System.View',
      run: (call: SoapCall) => {
        if (typeof call.args.userName !== 'string') throw invalidArgument('userName');
        return privilegeTable(call.args.userName, morefList(call.args.entities, 'entities'), stringList(call.args.privId, 'privId'));
      },
    }],
    ['FetchUserPrivilegeOnEntities', {
      privilege: 'System.View',
      run: (call: SoapCall) => {
        if (typeof call.args.userName !== 'string') throw invalidArgument('userName');
        const user = call.args.userName;
        return morefList(call.args.entities, 'entities').map((entity) => {
          entityExists(entity, 'entities');
          return { _type: 'UserPrivilegeResult', entity, privileges: access.authorizer.privilegesOn(user, entity) };
        });
      },
    }],
  ]);
}
