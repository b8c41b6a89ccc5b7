import { randomUUID } from 'node:crypto';
import { moref, type ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import { holds, type Authorizer } from './authorizer.js';
import { invalidArgument, managedObjectNotFound, notAuthenticated } from './faults.js';
import { managedIsA } from './managed-type-info.js';
import type { HostSession, MethodTable, SoapCall } from './method-handler.js';
import type { SessionAwareObject } from './session-view.js';

/**
 * The ViewManager: ContainerViews (the objects under a container, of some types, computed live at
 * every read from the inventory's own properties) and ListViews (a fixed list). Views belong to the
 * session that made them, are named `session[<key>]<uuid>` as on vCenter, and go with it. A view
 * lists only what its owner may read (System.Read), as vCenter's do.
 */

/** The properties that lead from a container to what it contains, by container type (vSphere's inventory tree). */
const CHILD_PROPERTIES: Array<[string, string[]]> = [
  ['Folder', ['childEntity']],
  ['Datacenter', ['vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder']],
  ['ComputeResource', ['host', 'resourcePool']],
  ['ResourcePool', ['resourcePool', 'vm']],
  ['HostSystem', ['vm']],
];

/** The types a ContainerView's container may have. */
const CONTAINER_TYPES = ['Folder', 'Datacenter', 'ComputeResource', 'ResourcePool', 'HostSystem'];

export interface ViewManagerOptions {
  ref: ManagedObjectReference;
  directory: ObjectDirectory;
  authorizer: Authorizer;
  maxViewsPerSession?: number;
  /** Bound on the objects one view walk visits. */
  maxViewObjects?: number;
}

interface View {
  object: ManagedObject;
  sessionKey: string;
}

function childRefs(object: ManagedObject): ManagedObjectReference[] {
  const refs: ManagedObjectReference[] = [];
  for (const [type, names] of CHILD_PROPERTIES) {
    if (!managedIsA(object.ref.type, type)) continue;
    for (const name of names) {
      const value = object.property(name);
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'object' && v !== null && (v as Record<string, unknown>)._type === 'ManagedObjectReference') {
          refs.push(v as ManagedObjectReference);
        }
      }
    }
  }
  return refs;
}

export class ViewManager implements ObjectDirectory {
  private readonly views = new Map<string, View>();

  constructor(private readonly options: ViewManagerOptions) {}

  lookup(ref: ManagedObjectReference): ManagedObject | undefined {
    if (ref.type === 'ViewManager' && ref.value === this.options.ref.value) return this.managerObject();
    return this.views.get(ref.value)?.object;
  }

  endSession(session: HostSession): void {
    for (const [value, view] of this.views) if (view.sessionKey === session.key) this.views.delete(value);
  }

  methods(): MethodTable {
    return new Map([
      ['CreateContainerView', {
        run: (call: SoapCall) => {
          const session = sessionOf(call);
          const container = call.args.container as ManagedObjectReference;
          const types = (call.args.type as string[] | undefined) ?? [];
          const recursive = call.args.recursive === true;
          const object = this.options.directory.lookup(container);
          if (!object) throw managedObjectNotFound(container);
          if (!CONTAINER_TYPES.some((t) => managedIsA(container.type, t))) throw invalidArgument('container');
          this.checkRoom(session);
          const ref = moref('ContainerView', `session[${session.key}]${randomUUID()}`);
          const view: ManagedObject = {
            ref,
            property: (name: string) => {
              switch (name) {
                case 'container': return container;
                case 'type': return types.length > 0 ? [...types] : undefined;
                case 'recursive': return recursive;
                case 'view': return this.walk(container, types, recursive, session.userName);
                default: return undefined;
              }
            },
          };
          this.views.set(ref.value, { object: view, sessionKey: session.key });
          return ref;
        },
      }],
      ['CreateListView', {
        run: (call: SoapCall) => {
          const session = sessionOf(call);
          this.checkRoom(session);
          const refs = ((call.args.obj as ManagedObjectReference[] | undefined) ?? []).filter((r) => this.options.directory.lookup(r));
          const ref = moref('ListView', `session[${session.key}]${randomUUID()}`);
          const view: ManagedObject = {
            ref,
            property: (name: string) => (name === 'view' ? refs.filter((r) => this.options.directory.lookup(r)) : undefined),
          };
          this.views.set(ref.value, { object: view, sessionKey: session.key });
          return ref;
        },
      }],
      ['DestroyView', {
        run: (call: SoapCall) => {
          const session = sessionOf(call);
          const view = this.views.get(call.target.value);
          if (!view || view.sessionKey !== session.key) throw managedObjectNotFound(call.target);
          this.views.delete(call.target.value);
          return undefined;
        },
      }],
    ]);
  }

  /** The objects under `container` of the given types, breadth first, each once. */
  private walk(container: ManagedObjectReference, types: string[], recursive: boolean, userName: string): ManagedObjectReference[] {
    const found: ManagedObjectReference[] = [];
    const seen = new Set<string>([`${container.type}:${container.value}`]);
    const limit = this.options.maxViewObjects ?? 200_000;
    let queue: ManagedObjectReference[] = [container];
    while (queue.length > 0 && seen.size <= limit) {
      const next: ManagedObjectReference[] = [];
      for (const ref of queue) {
        const object = this.options.directory.lookup(ref);
        if (!object) continue;
        for (const child of childRefs(object)) {
          const key = `${child.type}:${child.value}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const visible = holds(this.options.authorizer, userName, [{ privilegeId: 'System.Read', entity: child }]);
          if (visible && (types.length === 0 || types.some((t) => managedIsA(child.type, t)))) found.push(child);
          if (recursive) next.push(child);
        }
      }
      queue = next;
    }
    return found;
  }

  private checkRoom(session: HostSession): void {
    let count = 0;
    for (const view of this.views.values()) if (view.sessionKey === session.key) count++;
    if (count >= (this.options.maxViewsPerSession ?? 1024)) throw invalidArgument('too many views in this session');
  }

  private managerObject(): SessionAwareObject {
    return {
      ref: this.options.ref,
      property: () => undefined,
      propertyForSession: (name: string, session: HostSession | undefined) => {
        if (name !== 'viewList' || !session) return undefined;
        return [...this.views.values()].filter((v) => v.sessionKey === session.key).map((v) => v.object.ref);
      },
    };
  }
}

function sessionOf(call: SoapCall): HostSession {
  if (!call.session) throw notAuthenticated(call.target);
  return call.session;
}
