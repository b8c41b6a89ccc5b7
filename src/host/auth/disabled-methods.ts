import { readFile } from 'node:fs/promises';
import { writeFileReplacing } from '../../vmdk/replace-file.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import type { MethodHandler, MethodTable } from '../soap/method-handler.js';
import { entityKey } from './authorizer.js';

interface DisabledEntry {
  method: string;
  sourceId: string;
  reasonId?: string;
}

interface StoredEntity {
  entity: { type: string; value: string };
  methods: DisabledEntry[];
}

// Bounds for what a client may store through DisableMethods (the list is kept in memory and on disk).
const MAX_ENTITIES = 10_000;
const MAX_METHODS_PER_ENTITY = 256;
const MAX_NAME_LENGTH = 256;

/**
 * Methods disabled on entities by AuthorizationManager.DisableMethods (reference §2.3.9): what a
 * backup application does around its work (VDDK's PrepareForAccess disables RelocateVM_Task), so
 * that nobody migrates the VM meanwhile. While disabled, calling the method on that entity fails
 * with MethodDisabled naming the source; the entity's `disabledMethod` property lists them. Kept
 * in a JSON file replaced atomically, since vCenter keeps them across restarts (a backup that dies
 * leaves them disabled until EnableMethods, as on a real vCenter).
 */
export class DisabledMethods {
  private readonly byEntity = new Map<string, { entity: ManagedObjectReference; methods: DisabledEntry[] }>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | undefined) {}

  static async open(file: string | undefined): Promise<DisabledMethods> {
    const table = new DisabledMethods(file);
    if (!file) return table;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return table;
      throw error;
    }
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch {
      throw new Error(`${file}: not valid JSON`);
    }
    if (!Array.isArray(stored)) throw new Error(`${file}: expected an array`);
    for (const item of stored as StoredEntity[]) {
      const ok = item && typeof item.entity?.type === 'string' && typeof item.entity?.value === 'string' && Array.isArray(item.methods)
        && item.methods.every((m) => typeof m?.method === 'string' && typeof m?.sourceId === 'string');
      if (!ok) throw new Error(`${file}: malformed entry`);
      const entity: ManagedObjectReference = { _type: 'ManagedObjectReference', type: item.entity.type, value: item.entity.value };
      table.byEntity.set(entityKey(entity), { entity, methods: item.methods });
    }
    return table;
  }

  /** DisableMethods: MethodAlreadyDisabledFault if another source already disabled one of them. */
  async disable(entities: readonly ManagedObjectReference[], methods: ReadonlyArray<{ method: string; reasonId?: string }>, sourceId: string): Promise<void> {
    for (const name of [sourceId, ...methods.map((m) => m.method)]) {
      if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw invalidArgument(name === sourceId ? 'sourceId' : 'method');
    }
    for (const entity of entities) {
      for (const m of this.byEntity.get(entityKey(entity))?.methods ?? []) {
        if (methods.some((n) => n.method === m.method) && m.sourceId !== sourceId) {
          throw new SoapFault({ _type: 'MethodAlreadyDisabledFault', sourceId: m.sourceId },
            `The method ${m.method} is already disabled by '${m.sourceId}'.`);
        }
      }
    }
    for (const entity of entities) {
      const key = entityKey(entity);
      const entry = this.byEntity.get(key) ?? { entity, methods: [] };
      for (const m of methods) {
        const existing = entry.methods.find((e) => e.method === m.method);
        if (existing) existing.reasonId = m.reasonId;
        else entry.methods.push({ method: m.method, sourceId, ...(m.reasonId !== undefined ? { reasonId: m.reasonId } : {}) });
      }
      if (entry.methods.length > MAX_METHODS_PER_ENTITY) throw invalidArgument('method');
      if (!this.byEntity.has(key) && this.byEntity.size >= MAX_ENTITIES) throw invalidArgument('entity');
      this.byEntity.set(key, entry);
    }
    await this.save();
  }

  /** EnableMethods: re-enables what `sourceId` disabled; another source's entries stay. */
  async enable(entities: readonly ManagedObjectReference[], methods: readonly string[], sourceId: string): Promise<void> {
    for (const entity of entities) {
      const key = entityKey(entity);
      const entry = this.byEntity.get(key);
      if (!entry) continue;
      entry.methods = entry.methods.filter((m) => !(methods.includes(m.method) && m.sourceId === sourceId));
      if (entry.methods.length === 0) this.byEntity.delete(key);
    }
    await this.save();
  }

  /** The entity's `disabledMethod` property: names of the methods disabled on it. */
  disabledOn(entity: ManagedObjectReference): string[] {
    return (this.byEntity.get(entityKey(entity))?.methods ?? []).map((m) => m.method);
  }

  /** Throws MethodDisabled when `methodName` is disabled on `target`. */
  check(methodName: string, target: ManagedObjectReference): void {
    const entry = this.byEntity.get(entityKey(target))?.methods.find((m) => m.method === methodName);
    if (entry) {
      throw new SoapFault({ _type: 'MethodDisabled', source: entry.sourceId },
        `The method is disabled by '${entry.sourceId}'`);
    }
  }

  /** The handler table with every handler refusing calls to methods disabled on their target. */
  guard(table: MethodTable): MethodTable {
    const guarded: MethodTable = new Map();
    for (const [name, handler] of table) {
      const wrapped: MethodHandler = {
        ...handler,
        run: (call) => {
          this.check(call.methodName, call.target);
          return handler.run(call);
        },
      };
      guarded.set(name, wrapped);
    }
    return guarded;
  }

  /** The directory with each entity's `disabledMethod` property answered from this table. */
  overlay(directory: ObjectDirectory): ObjectDirectory {
    return {
      lookup: (ref) => {
        const object = directory.lookup(ref);
        if (!object) return undefined;
        const disabled = this.disabledOn(ref);
        if (disabled.length === 0) return object;
        const view: ManagedObject = {
          ref: object.ref,
          parent: object.parent,
          property: (name) => (name === 'disabledMethod' ? [...disabled] : object.property(name)),
        };
        return view;
      },
    };
  }

  // Serialised, and written to a temporary file then renamed: a crash leaves the old or the new list.
  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const snapshot: StoredEntity[] = [...this.byEntity.values()].map((e) => ({
      entity: { type: e.entity.type, value: e.entity.value },
      methods: e.methods.map((m) => ({ ...m })),
    }));
    this.saving = this.saving.catch(() => undefined).then(async () => {
      await writeFileReplacing(file, `${JSON.stringify(snapshot, null, 1)}\n`, { mode: 0o600 });
    });
    return this.saving;
  }
}

function invalidArgument(property: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: property },
    `A specified parameter was not correct: ${property}`);
}
