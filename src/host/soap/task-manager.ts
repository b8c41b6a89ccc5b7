import { SoapFault } from '../../vsphere/soap-fault.js';
import { moref, type ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import type { ChangeNotifier } from './change-notifier.js';
import { invalidState, localizedFault, notSupported, systemError } from './faults.js';
import type { MethodTable, SoapCall, TaskStarter } from './method-handler.js';
import type { HostPersonality } from './service-instance.js';

/**
 * vim Tasks (reference §2.3.4): the TaskStarter methods use for long work, the Task objects the
 * property collector reads (`info`, a TaskInfo replaced whole on every change, so a value handed
 * out is never mutated), and the TaskManager's `recentTask`. Finished tasks stay readable for a
 * while (vCenter keeps them in recentTask about ten minutes), then are dropped; the count is
 * bounded too. Every change is announced on the ChangeNotifier so WaitForUpdatesEx wakes.
 */

export interface TaskManagerOptions {
  personality: HostPersonality;
  /** Where entity names come from (TaskInfo.entityName). */
  directory: ObjectDirectory;
  notifier: ChangeNotifier;
  /** How long a finished task stays readable. */
  retentionMs?: number;
  /** At most this many tasks are kept; the oldest finished ones go first. */
  maxTasks?: number;
  /** Hold each task in `running` at least this long, so clients' polling loops are exercised. */
  minRunningMs?: number;
  now?: () => number;
}

interface TaskRecord {
  object: TaskObject;
  finishedAt?: number;
}

export class TaskObject implements ManagedObject {
  constructor(readonly ref: ManagedObjectReference, public info: Record<string, unknown>, readonly parent?: ManagedObjectReference) {}

  property(name: string): unknown {
    return name === 'info' ? this.info : undefined;
  }
}

export class TaskManager implements TaskStarter, ObjectDirectory {
  readonly ref: ManagedObjectReference;
  private readonly tasks = new Map<string, TaskRecord>();
  private sequence = 0;
  private eventChainId = 0;
  private readonly now: () => number;

  constructor(private readonly options: TaskManagerOptions) {
    this.ref = moref('TaskManager', options.personality === 'vcenter' ? 'TaskManager' : 'ha-taskmgr');
    this.now = options.now ?? Date.now;
  }

  start(
    call: SoapCall,
    entity: ManagedObjectReference,
    descriptionId: string,
    work: (progress: (percent: number) => void) => Promise<unknown>,
  ): ManagedObjectReference {
    this.prune();
    const n = ++this.sequence;
    const value = this.options.personality === 'vcenter' ? `task-${n}` : `haTask-${entity.value}-vim.${descriptionId}-${n}`;
    const ref = moref('Task', value);
    const entityName = this.options.directory.lookup(entity)?.property('name');
    const info: Record<string, unknown> = {
      _type: 'TaskInfo',
      key: value,
      task: ref,
      name: call.methodName,
      descriptionId,
      entity,
      entityName: typeof entityName === 'string' ? entityName : undefined,
      state: 'queued',
      cancelled: false,
      cancelable: false,
      reason: { _type: 'TaskReasonUser', userName: call.session?.userName ?? '' },
      queueTime: new Date(this.now()),
      eventChainId: ++this.eventChainId,
    };
    const object = new TaskObject(ref, info, entity);
    const record: TaskRecord = { object };
    this.tasks.set(value, record);
    this.options.notifier.notify(this.ref);
    // The work starts on a later turn, so the caller gets the moref before anything else happens.
    setImmediate(() => void this.run(record, work));
    return ref;
  }

  lookup(ref: ManagedObjectReference): ManagedObject | undefined {
    if (ref.type === 'TaskManager' && ref.value === this.ref.value) return this.managerObject();
    if (ref.type !== 'Task') return undefined;
    return this.tasks.get(ref.value)?.object;
  }

  /** The Task methods: CancelTask (our tasks are not cancelable: NotSupported, as hosts answer). */
  methods(): MethodTable {
    return new Map([
      ['CancelTask', {
        privilege: (call: SoapCall) => {
          const entity = this.tasks.get(call.target.value)?.object.info.entity as ManagedObjectReference | undefined;
          return entity ? [{ privilegeId: 'Global.CancelTask', entity }] : [];
        },
        run: (call: SoapCall) => {
          const record = this.tasks.get(call.target.value);
          const state = record?.object.info.state;
          if (state === 'success' || state === 'error') throw invalidState();
          throw notSupported('The operation is not supported on the object.');
        },
      }],
    ]);
  }

  private managerObject(): ManagedObject {
    return {
      ref: this.ref,
      property: (name: string) => {
        if (name === 'recentTask') {
          this.prune();
          return [...this.tasks.values()].map((r) => r.object.ref);
        }
        if (name === 'maxCollector') return 32;
        return undefined;
      },
    };
  }

  private async run(record: TaskRecord, work: (progress: (percent: number) => void) => Promise<unknown>): Promise<void> {
    const started = this.now();
    this.update(record, { state: 'running', startTime: new Date(started), progress: 0 });
    let outcome: Record<string, unknown>;
    try {
      const result = await work((percent) => {
        if (record.object.info.state !== 'running') return;
        const clamped = Math.max(0, Math.min(100, Math.floor(percent)));
        if (clamped !== record.object.info.progress) this.update(record, { progress: clamped });
      });
      outcome = { state: 'success', result, progress: 100 };
    } catch (err) {
      const fault = err instanceof SoapFault ? err : systemError(err instanceof Error ? err.message : String(err));
      outcome = { state: 'error', error: localizedFault(fault) };
    }
    const hold = (this.options.minRunningMs ?? 0) - (this.now() - started);
    if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
    this.update(record, { ...outcome, completeTime: new Date(this.now()) });
    record.finishedAt = this.now();
  }

  private update(record: TaskRecord, changes: Record<string, unknown>): void {
    record.object.info = { ...record.object.info, ...changes };
    this.options.notifier.notify(record.object.ref);
  }

  /** Drop finished tasks past their retention, then the oldest finished beyond the count cap. */
  private prune(): void {
    const retention = this.options.retentionMs ?? 10 * 60_000;
    const max = this.options.maxTasks ?? 1000;
    const now = this.now();
    let dropped = false;
    for (const [key, record] of this.tasks) {
      if (record.finishedAt !== undefined && now - record.finishedAt > retention) {
        this.tasks.delete(key);
        dropped = true;
      }
    }
    if (this.tasks.size >= max) {
      for (const [key, record] of this.tasks) {
        if (this.tasks.size < max) break;
        if (record.finishedAt !== undefined) {
          this.tasks.delete(key);
          dropped = true;
        }
      }
    }
    if (dropped) this.options.notifier.notify(this.ref);
  }
}
