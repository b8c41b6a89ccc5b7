import type { ManagedObjectReference } from '../vsphere/vim-types.js';

/**
 * The seam between what `vixdisk host` holds (inventory, tasks, sessions, managers) and what
 * answers SOAP (the property collector, the dispatcher, the privilege check). Every managed object
 * the host serves is one of these; the property collector knows nothing else about them.
 *
 * `ref.type` is the object's managed type as vim25 names it (VirtualMachine, Folder, Task...); its
 * properties and their declared types are those of src/vsphere/vim-managed-types.ts.
 */
export interface ManagedObject {
  readonly ref: ManagedObjectReference;
  /**
   * A top-level property's current value as a vim value: a data object (`{ _type, ...fields }`), a
   * moref, a primitive, an enum string or an array of these; `undefined` when unset. Nested paths
   * (`config.hardware.device`) are walked by the caller through the data objects returned here.
   * Values are snapshots: the caller may keep them; the object never mutates a value it returned.
   */
  property(name: string): unknown;
  /** The inventory parent whose permissions propagate to this object (none for the root). */
  readonly parent?: ManagedObjectReference | undefined;
}

/** Where the host finds the managed object a moref names (undefined: ManagedObjectNotFound). */
export interface ObjectDirectory {
  lookup(ref: ManagedObjectReference): ManagedObject | undefined;
}

/** Several directories as one: the first that knows a moref answers (inventory, tasks, views...). */
export class CompositeDirectory implements ObjectDirectory {
  private readonly parts: ObjectDirectory[] = [];

  add(part: ObjectDirectory): this {
    this.parts.push(part);
    return this;
  }

  lookup(ref: ManagedObjectReference): ManagedObject | undefined {
    for (const part of this.parts) {
      const found = part.lookup(ref);
      if (found) return found;
    }
    return undefined;
  }
}
