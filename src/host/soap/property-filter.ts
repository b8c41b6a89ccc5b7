import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ManagedObject } from '../managed-object.js';
import { localizedFault, managedObjectNotFound } from './faults.js';
import { objectContent, selectObjects, type PropertyFilterSpec, type RetrievalContext } from './property-retrieval.js';

/**
 * One PropertyFilter and what it last reported: WaitForUpdatesEx compares the properties the spec
 * selects now with those (by their encoded form) and reports objects that entered, left or changed
 * (`enter`/`leave`/`modify`, every changed property `assign`ed whole, an unset one assigned with
 * no value). Only objects actually reported move the baseline, so a truncated update
 * (maxObjectUpdates) leaves the rest for the next call.
 */

interface Reported {
  /** Property path -> its encoded value (JSON of the typed value), for comparison. */
  props: Map<string, string>;
  /** Paths reported missing, with their fault type. */
  missing: Map<string, string>;
}

export interface FilterUpdate {
  value: Record<string, unknown>;
  objectCount: number;
  truncated: boolean;
}

export class FilterState {
  readonly object: ManagedObject;
  private reported = new Map<string, Reported>();
  private reportedMissing = new Set<string>();

  constructor(
    readonly ref: ManagedObjectReference,
    readonly spec: PropertyFilterSpec,
    readonly partialUpdates: boolean,
  ) {
    this.object = {
      ref,
      property: (name: string) => {
        if (name === 'spec') return { _type: 'PropertyFilterSpec', ...spec };
        if (name === 'partialUpdates') return partialUpdates;
        return undefined;
      },
    };
  }

  /** Forget what was reported: the next diff is a full initial update. */
  reset(): void {
    this.reported = new Map();
    this.reportedMissing = new Set();
  }

  diff(ctx: RetrievalContext, budget: number): FilterUpdate | undefined {
    const { objects, missing } = selectObjects({ ...this.spec, reportMissingObjectsInResults: true }, ctx);
    const objectSet: unknown[] = [];
    let truncated = false;
    const present = new Set<string>();
    const room = (): boolean => {
      if (objectSet.length < budget) return true;
      truncated = true;
      return false;
    };

    for (const object of objects) {
      const key = `${object.ref.type}:${object.ref.value}`;
      present.add(key);
      const content = objectContent(object, this.spec.propSet, ctx.session);
      if (!content) continue;
      const now: Reported = { props: new Map(), missing: new Map() };
      for (const p of content.propSet ?? []) now.props.set(p.name, JSON.stringify(p.val));
      for (const m of content.missingSet ?? []) now.missing.set(m.path, JSON.stringify(m.fault));
      const before = this.reported.get(key);
      const changeSet: unknown[] = [];
      const values = new Map((content.propSet ?? []).map((p) => [p.name, p.val]));
      for (const [name, encoded] of now.props) {
        if (before?.props.get(name) !== encoded) changeSet.push({ _type: 'PropertyChange', name, op: 'assign', val: values.get(name) });
      }
      if (before) {
        for (const name of before.props.keys()) {
          if (!now.props.has(name) && !now.missing.has(name)) changeSet.push({ _type: 'PropertyChange', name, op: 'assign' });
        }
      }
      const missingSet = (content.missingSet ?? []).filter((m) => before?.missing.get(m.path) !== now.missing.get(m.path));
      if (before && changeSet.length === 0 && missingSet.length === 0) continue;
      if (!room()) break;
      objectSet.push({
        _type: 'ObjectUpdate', kind: before ? 'modify' : 'enter', obj: object.ref,
        changeSet: changeSet.length > 0 ? changeSet : undefined,
        missingSet: missingSet.length > 0 ? missingSet : undefined,
      });
      this.reported.set(key, now);
    }

    for (const [key] of this.reported) {
      if (present.has(key) || truncated) continue;
      if (!room()) break;
      const [type, ...value] = key.split(':');
      objectSet.push({ _type: 'ObjectUpdate', kind: 'leave', obj: { _type: 'ManagedObjectReference', type: type!, value: value.join(':') } });
      this.reported.delete(key);
    }

    const missingObjects: unknown[] = [];
    for (const ref of missing) {
      const key = `${ref.type}:${ref.value}`;
      if (this.reportedMissing.has(key)) continue;
      this.reportedMissing.add(key);
      missingObjects.push({ _type: 'MissingObject', obj: ref, fault: localizedFault(managedObjectNotFound(ref)) });
    }

    if (objectSet.length === 0 && missingObjects.length === 0) return undefined;
    return {
      value: {
        _type: 'PropertyFilterUpdate', filter: this.ref,
        objectSet: objectSet.length > 0 ? objectSet : undefined,
        missingSet: missingObjects.length > 0 ? missingObjects : undefined,
      },
      objectCount: objectSet.length,
      truncated,
    };
  }
}
