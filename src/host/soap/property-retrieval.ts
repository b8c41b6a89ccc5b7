import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import { holds, type Authorizer } from './authorizer.js';
import { invalidArgument, invalidProperty, localizedFault, managedObjectNotFound } from './faults.js';
import { declaredPropertyType, managedIsA, propertyNames } from './managed-type-info.js';
import type { HostSession } from './method-handler.js';
import { readPath, toAnyValue } from './property-value.js';

/**
 * The property collector's one mechanism, used by RetrievePropertiesEx, RetrieveProperties and the
 * filters of WaitForUpdatesEx alike: select the objects a PropertyFilterSpec names (ObjectSpecs,
 * TraversalSpecs followed by type and path, named SelectionSpecs resolved by name), leave out what
 * the user may not read, and read the requested paths into ObjectContents.
 */

export interface PropertySpec { type: string; all?: boolean; pathSet?: string[] }
export interface SelectionSpec { _type?: string; name?: string; type?: string; path?: string; skip?: boolean; selectSet?: SelectionSpec[] }
export interface ObjectSpec { obj: ManagedObjectReference; skip?: boolean; selectSet?: SelectionSpec[] }
export interface PropertyFilterSpec { propSet: PropertySpec[]; objectSet: ObjectSpec[]; reportMissingObjectsInResults?: boolean }

export interface RetrievalContext {
  directory: ObjectDirectory;
  authorizer: Authorizer;
  session: HostSession;
  /** Bound on the objects one spec may select (a hostile or cyclic spec ends here). */
  maxObjects?: number;
}

/** A selected object's properties, as ObjectContent carries them (values already typed for anyType). */
export interface ObjectContent {
  _type: 'ObjectContent';
  obj: ManagedObjectReference;
  propSet?: Array<{ _type: 'DynamicProperty'; name: string; val: unknown }>;
  missingSet?: Array<{ _type: 'MissingProperty'; path: string; fault: unknown }>;
}

const DEFAULT_MAX_OBJECTS = 200_000;

const refKey = (ref: ManagedObjectReference): string => `${ref.type}:${ref.value}`;

/** The ObjectContents of one filter spec, objects in the order they were selected. */
export function retrieveContents(spec: PropertyFilterSpec, ctx: RetrievalContext): ObjectContent[] {
  checkPaths(spec.propSet);
  const { objects, missing } = selectObjects(spec, ctx);
  const contents: ObjectContent[] = [];
  for (const object of objects) {
    const content = objectContent(object, spec.propSet, ctx.session);
    if (content) contents.push(content);
  }
  for (const ref of missing) {
    const fault = localizedFault(managedObjectNotFound(ref));
    const paths = [...new Set(spec.propSet.filter((p) => managedIsA(ref.type, p.type)).flatMap((p) => p.pathSet ?? []))];
    contents.push({
      _type: 'ObjectContent', obj: ref,
      missingSet: (paths.length > 0 ? paths : ['']).map((path) => ({ _type: 'MissingProperty', path, fault })),
    });
  }
  return contents;
}

/** Refuse a path the type does not declare, for the whole call, as hosts do (InvalidProperty). */
function checkPaths(propSet: PropertySpec[]): void {
  for (const p of propSet) {
    for (const path of p.pathSet ?? []) {
      if (path === '' || declaredPropertyType(p.type, path) === 'invalid') throw invalidProperty(path);
    }
  }
}

/** The objects a spec selects, visible to the user, each once; missing morefs when the spec asks for them. */
export function selectObjects(spec: PropertyFilterSpec, ctx: RetrievalContext): { objects: ManagedObject[]; missing: ManagedObjectReference[] } {
  const named = new Map<string, SelectionSpec>();
  for (const o of spec.objectSet) collectNamed(o.selectSet ?? [], named, 0);
  const limit = ctx.maxObjects ?? DEFAULT_MAX_OBJECTS;
  const selected = new Map<string, ManagedObject>();
  const visited = new Set<string>();
  const missing: ManagedObjectReference[] = [];
  let visits = 0;

  const include = (object: ManagedObject): void => {
    const key = refKey(object.ref);
    if (!selected.has(key) && visible(object, ctx)) selected.set(key, object);
  };

  const walk = (object: ManagedObject, selectSet: SelectionSpec[]): void => {
    for (const selection of selectSet) {
      const traversal = resolve(selection, named);
      if (!managedIsA(object.ref.type, traversal.type!)) continue;
      // One (object, traversal) pair is walked once: a cyclic spec (a folder walk naming itself) ends.
      const pairKey = `${refKey(object.ref)}\u0000${traversal.name ?? ''}\u0000${traversal.type}\u0000${traversal.path}`;
      if (visited.has(pairKey)) continue;
      visited.add(pairKey);
      for (const ref of refsIn(readPath(object, traversal.path!, ctx.session))) {
        if (++visits > limit) throw invalidArgument('specSet: the traversal selects too many objects');
        const next = ctx.directory.lookup(ref);
        if (!next) continue;
        if (traversal.skip !== true) include(next);
        walk(next, traversal.selectSet ?? []);
      }
    }
  };

  for (const o of spec.objectSet) {
    const object = ctx.directory.lookup(o.obj);
    if (!object) {
      if (spec.reportMissingObjectsInResults !== true) throw managedObjectNotFound(o.obj);
      missing.push(o.obj);
      continue;
    }
    if (o.skip !== true) include(object);
    walk(object, o.selectSet ?? []);
  }
  return { objects: [...selected.values()], missing };
}

function collectNamed(selectSet: SelectionSpec[], named: Map<string, SelectionSpec>, depth: number): void {
  if (depth > 64) return;
  for (const s of selectSet) {
    if (!isTraversal(s)) continue;
    if (s.name) named.set(s.name, s);
    collectNamed(s.selectSet ?? [], named, depth + 1);
  }
}

function isTraversal(s: SelectionSpec): boolean {
  return typeof s.type === 'string' && typeof s.path === 'string';
}

function resolve(selection: SelectionSpec, named: Map<string, SelectionSpec>): SelectionSpec {
  if (isTraversal(selection)) return selection;
  const found = selection.name === undefined ? undefined : named.get(selection.name);
  if (!found) throw invalidArgument(`selectSet: undefined TraversalSpec name '${selection.name ?? ''}'`);
  return found;
}

function refsIn(value: unknown): ManagedObjectReference[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is ManagedObjectReference =>
    typeof v === 'object' && v !== null && (v as Record<string, unknown>)._type === 'ManagedObjectReference');
}

/**
 * Whether the user may read the object: System.Read on an inventory entity (vCenter leaves out
 * what a user cannot see rather than failing), on its entity for an object that has one (a Task);
 * managers and session objects are readable by any session.
 */
function visible(object: ManagedObject, ctx: RetrievalContext): boolean {
  const entity = managedIsA(object.ref.type, 'ManagedEntity') ? object.ref : object.parent;
  if (!entity) return true;
  return holds(ctx.authorizer, ctx.session.userName, [{ privilegeId: 'System.Read', entity }]);
}

/** The requested properties of one object; undefined when no PropertySpec applies to its type. */
export function objectContent(object: ManagedObject, propSet: PropertySpec[], session: HostSession): ObjectContent | undefined {
  const specs = propSet.filter((p) => managedIsA(object.ref.type, p.type));
  if (specs.length === 0) return undefined;
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const p of specs) {
    const names = p.all === true ? propertyNames(object.ref.type) ?? [] : [];
    for (const path of [...names, ...(p.pathSet ?? [])]) {
      if (!seen.has(path)) {
        seen.add(path);
        paths.push(path);
      }
    }
  }
  const content: ObjectContent = { _type: 'ObjectContent', obj: object.ref };
  const topLevel = new Map<string, unknown>();
  for (const path of paths) {
    let value: unknown;
    try {
      value = readPath(object, path, session, topLevel);
    } catch (err) {
      if (!(err instanceof SoapFault)) throw err;
      (content.missingSet ??= []).push({ _type: 'MissingProperty', path, fault: localizedFault(err) });
      continue;
    }
    const val = typedValue(object.ref.type, path, value);
    if (val !== undefined) (content.propSet ??= []).push({ _type: 'DynamicProperty', name: path, val });
  }
  return content;
}

/** A property value typed for an anyType slot by its declared type (undefined: unset). */
export function typedValue(type: string, path: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const found = declaredPropertyType(type, path);
  const declared = found === 'invalid' ? undefined : found;
  // An empty array is written as an empty ArrayOfX when its item type is known (as hosts do).
  if (Array.isArray(value) && value.length === 0 && declared === undefined) return undefined;
  return toAnyValue(value, declared);
}
