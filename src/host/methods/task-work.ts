import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { SoapCall, TaskStarter } from '../soap/method-handler.js';

/**
 * Start `work` as a vim Task on `entity` and return the Task's moref at once. The work gets the
 * Task's own moref (for TaskInProgress faults naming it) once `start` has returned it.
 */
export function startTask(tasks: TaskStarter, call: SoapCall, entity: ManagedObjectReference, descriptionId: string,
  work: (task: ManagedObjectReference | undefined, progress: (percent: number) => void) => Promise<unknown>): ManagedObjectReference {
  const holder: { ref?: ManagedObjectReference } = {};
  holder.ref = tasks.start(call, entity, descriptionId, (progress) => work(holder.ref, progress));
  return holder.ref;
}

/** A typed argument, or a default when the optional parameter was left out. */
export function arg<T>(call: SoapCall, name: string, fallback: T): T {
  const v = call.args[name];
  return v === undefined ? fallback : v as T;
}
