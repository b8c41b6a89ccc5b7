import { PRIVILEGE_IDS, SYSTEM_PRIVILEGES } from './privileges.js';

/** A role: a named set of privilege ids (vim AuthorizationRole). */
export interface Role {
  /** Negative for the system roles, as vSphere numbers them; custom roles count up from 1. */
  readonly roleId: number;
  readonly name: string;
  readonly label: string;
  readonly system: boolean;
  readonly privileges: ReadonlySet<string>;
}

function role(roleId: number, name: string, label: string, system: boolean, privileges: readonly string[]): Role {
  return { roleId, name, label, system, privileges: new Set(privileges) };
}

/** The roles every vSphere host has and nobody can change (ids as vSphere gives them). */
export const SYSTEM_ROLES: readonly Role[] = [
  role(-5, 'NoAccess', 'No access', true, []),
  role(-4, 'Anonymous', 'Anonymous', true, ['System.Anonymous']),
  role(-3, 'View', 'View', true, ['System.Anonymous', 'System.View']),
  role(-2, 'ReadOnly', 'Read-only', true, SYSTEM_PRIVILEGES),
  role(-1, 'Admin', 'Administrator', true, PRIVILEGE_IDS),
];

/**
 * The `backup` role of the embedded default: what VDDK 8's Programming Guide lists under
 * "Credentials and Privileges for VMDK Access" (reference §7) — on the backed-up VMs change
 * tracking, read-only disk access, VM download, snapshot create/remove; on the backup appliance
 * allocate space, add/remove disk, change resource, settings (plus add-existing-disk and
 * add/remove-device, which HotAdd's ReconfigVM_Task needs, §6.1); on vCenter the Global
 * disable/enable-methods and licence privileges. Sessions.ValidateSession lets a client check
 * its own session (SessionIsActive), as virt-v2v's minimal role does.
 */
export const BACKUP_ROLE_PRIVILEGES: readonly string[] = [
  ...SYSTEM_PRIVILEGES,
  'VirtualMachine.Config.ChangeTracking',
  'VirtualMachine.Provisioning.DiskRandomRead',
  'VirtualMachine.Provisioning.GetVmFiles',
  'VirtualMachine.State.CreateSnapshot',
  'VirtualMachine.State.RemoveSnapshot',
  'Datastore.AllocateSpace',
  // Downloading the VM's .vmx over GET /folder (the backup job keeps it beside the disks).
  'Datastore.Browse',
  'VirtualMachine.Config.AddNewDisk',
  'VirtualMachine.Config.AddExistingDisk',
  'VirtualMachine.Config.AddRemoveDevice',
  'VirtualMachine.Config.RemoveDisk',
  'VirtualMachine.Config.Resource',
  'VirtualMachine.Config.Settings',
  'Global.DisableMethods',
  'Global.EnableMethods',
  'Global.Licenses',
  'Sessions.ValidateSession',
];

/** The system roles and the custom ones of a config, by name and by id. */
export class RoleTable {
  private readonly byName = new Map<string, Role>();
  private readonly byId = new Map<number, Role>();

  constructor(custom: ReadonlyArray<{ name: string; privileges: readonly string[] }>) {
    for (const r of SYSTEM_ROLES) this.add(r);
    let nextId = 1;
    for (const c of custom) {
      if (this.byName.has(c.name)) throw new Error(`role '${c.name}' is defined twice or names a system role`);
      // vCenter adds the System privileges to every role it creates; so do we.
      this.add(role(nextId++, c.name, c.name, false, [...new Set([...SYSTEM_PRIVILEGES, ...c.privileges])]));
    }
  }

  private add(r: Role): void {
    this.byName.set(r.name, r);
    this.byId.set(r.roleId, r);
  }

  /** A new custom role (AddAuthorizationRole); the caller checked the name and privilege ids. */
  create(name: string, privileges: readonly string[]): Role {
    const roleId = Math.max(0, ...this.byId.keys()) + 1;
    const r = role(roleId, name, name, false, [...new Set([...SYSTEM_PRIVILEGES, ...privileges])]);
    this.add(r);
    return r;
  }

  /** Rename a custom role and, when given, set its privileges (UpdateAuthorizationRole). */
  update(roleId: number, name: string, privileges: readonly string[] | undefined): Role {
    const old = this.byId.get(roleId)!;
    this.byName.delete(old.name);
    const r = role(roleId, name, name, false, privileges === undefined ? [...old.privileges] : [...new Set([...SYSTEM_PRIVILEGES, ...privileges])]);
    this.add(r);
    return r;
  }

  remove(roleId: number): void {
    const r = this.byId.get(roleId);
    if (!r) return;
    this.byId.delete(roleId);
    this.byName.delete(r.name);
  }

  /** Every role as it is now, to put back with `restore` when a change cannot be saved. */
  snapshot(): Role[] {
    return this.all();
  }

  restore(roles: readonly Role[]): void {
    this.byName.clear();
    this.byId.clear();
    for (const r of roles) this.add(r);
  }

  /** The custom roles as a config lists them. */
  custom(): Array<{ name: string; privileges: string[] }> {
    return this.all().filter((r) => !r.system).map((r) => ({ name: r.name, privileges: [...r.privileges].sort() }));
  }

  named(name: string): Role | undefined {
    return this.byName.get(name);
  }

  withId(roleId: number): Role | undefined {
    return this.byId.get(roleId);
  }

  all(): Role[] {
    return [...this.byId.values()];
  }
}
