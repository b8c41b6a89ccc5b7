import type { ManagedObjectReference } from '../../vsphere/vim-types.js';

/**
 * How the host's state tells the property collector that something changed, so filters waiting
 * in WaitForUpdatesEx wake and compute their diffs. Whoever changes a managed object's properties
 * (a task's info, a VM's snapshot tree, the inventory) calls `notify(ref)` after the change; the
 * property values themselves are compared by the collector, so a spurious notify costs one
 * comparison and never reports a change that did not happen.
 */
export class ChangeNotifier {
  private readonly listeners = new Set<(ref: ManagedObjectReference) => void>();

  notify(ref: ManagedObjectReference): void {
    for (const listener of [...this.listeners]) listener(ref);
  }

  /** Returns the function that stops listening. */
  subscribe(listener: (ref: ManagedObjectReference) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
