import { randomBytes, randomUUID } from 'node:crypto';
import { SoapFault } from '../../vsphere/soap-fault.js';
import { moref, type ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import type { Authorizer } from './authorizer.js';
import type { ChangeNotifier } from './change-notifier.js';
import { invalidArgument, managedObjectNotFound, notAuthenticated, requestCanceled } from './faults.js';
import type { HostSession, MethodTable, SoapCall } from './method-handler.js';
import { retrieveContents, type ObjectContent, type PropertyFilterSpec, type RetrievalContext } from './property-retrieval.js';
import { FilterState } from './property-filter.js';

/**
 * The PropertyCollector (reference §2.3.3): RetrieveProperties, RetrievePropertiesEx with paging
 * tokens, session-scoped collectors (CreatePropertyCollector), filters and WaitForUpdatesEx.
 *
 * The well-known collector is shared, but what hangs off it (paging tokens, filters, the update
 * version) belongs to the calling session, as on vCenter; collectors a session creates are named
 * `session[<key>]<uuid>` and only that session can use them. Everything a session owns goes when
 * it ends. Tokens are bounded in number and expire.
 */

export interface PropertyCollectorOptions {
  ref: ManagedObjectReference;
  directory: ObjectDirectory;
  authorizer: Authorizer;
  notifier: ChangeNotifier;
  /** Unread pages kept per session and collector (the oldest goes beyond it). */
  maxTokens?: number;
  /** How long an unread page stays available. */
  tokenLifetimeMs?: number;
  /** Collectors and filters one session may create. */
  maxCollectorsPerSession?: number;
  maxFiltersPerCollector?: number;
  /** Upper bound on one WaitForUpdatesEx wait (a wait with no maxWaitSeconds ends here, empty). */
  maxWaitMs?: number;
  /**
   * A waiting filter also looks for changes this often, so a change whose owner forgot to notify
   * is still reported (late, never lost).
   */
  pollIntervalMs?: number;
  now?: () => number;
}

interface Page {
  rest: ObjectContent[];
  pageSize: number;
  expiresAt: number;
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What one session has on one collector. */
class CollectorState {
  readonly pages = new Map<string, Page>();
  readonly filters = new Map<string, FilterState>();
  version = 0;
  waiter: Waiter | undefined;

  constructor(readonly ref: ManagedObjectReference, readonly sessionKey: string) {}
}

const DEFAULT_PAGE_LIMIT = 100_000;

export class PropertyCollector implements ObjectDirectory {
  private readonly states = new Map<string, CollectorState>();
  private readonly now: () => number;

  constructor(private readonly options: PropertyCollectorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Drop everything a session owned (called when it ends). */
  endSession(session: HostSession): void {
    for (const [key, state] of this.states) {
      if (state.sessionKey !== session.key) continue;
      state.waiter?.reject(notAuthenticated(state.ref));
      state.waiter = undefined;
      this.states.delete(key);
    }
  }

  lookup(ref: ManagedObjectReference): ManagedObject | undefined {
    if (ref.type === 'PropertyCollector') {
      if (ref.value === this.options.ref.value || this.privateOwner(ref.value) !== undefined) {
        return { ref, property: (name) => (name === 'filter' ? this.filterRefsOf(ref) : undefined) };
      }
      return undefined;
    }
    if (ref.type === 'PropertyFilter') {
      for (const state of this.states.values()) {
        const filter = state.filters.get(ref.value);
        if (filter) return filter.object;
      }
    }
    return undefined;
  }

  methods(): MethodTable {
    const retrieveEx = (call: SoapCall): unknown => {
      const state = this.stateFor(call);
      const specSet = call.args.specSet as PropertyFilterSpec[];
      const options = (call.args.options ?? {}) as { maxObjects?: number };
      if (options.maxObjects !== undefined && options.maxObjects < 0) throw invalidArgument('maxObjects');
      const contents = this.retrieve(specSet, call);
      return this.page(state, contents, options.maxObjects && options.maxObjects > 0 ? options.maxObjects : DEFAULT_PAGE_LIMIT);
    };
    return new Map([
      ['RetrieveProperties', { run: (call: SoapCall) => this.retrieve(call.args.specSet as PropertyFilterSpec[], call) }],
      ['RetrievePropertiesEx', { run: retrieveEx }],
      ['ContinueRetrievePropertiesEx', {
        run: (call: SoapCall) => {
          const state = this.stateFor(call);
          const token = call.args.token as string;
          const page = this.takePage(state, token);
          return this.page(state, page.rest, page.pageSize);
        },
      }],
      ['CancelRetrievePropertiesEx', {
        run: (call: SoapCall) => {
          const state = this.stateFor(call);
          this.takePage(state, call.args.token as string);
          return undefined;
        },
      }],
      ['CreatePropertyCollector', {
        run: (call: SoapCall) => {
          const session = sessionOf(call);
          const owned = [...this.states.values()].filter((s) => s.sessionKey === session.key && s.ref.value !== this.options.ref.value);
          if (owned.length >= (this.options.maxCollectorsPerSession ?? 64)) throw invalidArgument('too many property collectors in this session');
          const ref = moref('PropertyCollector', `session[${session.key}]${randomUUID()}`);
          this.states.set(stateKey(ref, session), new CollectorState(ref, session.key));
          return ref;
        },
      }],
      ['DestroyPropertyCollector', {
        run: (call: SoapCall) => {
          const state = this.stateFor(call);
          if (state.ref.value === this.options.ref.value) throw invalidArgument('the default property collector cannot be destroyed');
          state.waiter?.reject(requestCanceled());
          this.states.delete(stateKey(state.ref, sessionOf(call)));
          return undefined;
        },
      }],
      ['CreateFilter', {
        run: (call: SoapCall) => {
          const state = this.stateFor(call);
          if (state.filters.size >= (this.options.maxFiltersPerCollector ?? 256)) throw invalidArgument('too many filters on this collector');
          const spec = call.args.spec as PropertyFilterSpec;
          // Validate now (unknown paths, missing objects) so a bad spec fails here, not in a wait.
          retrieveContents(spec, this.context(call));
          const ref = moref('PropertyFilter', `session[${state.sessionKey}]${randomUUID()}`);
          state.filters.set(ref.value, new FilterState(ref, spec, call.args.partialUpdates === true));
          this.wake(state);
          return ref;
        },
      }],
      ['DestroyPropertyFilter', {
        run: (call: SoapCall) => {
          const session = sessionOf(call);
          for (const state of this.states.values()) {
            if (state.sessionKey === session.key && state.filters.delete(call.target.value)) return undefined;
          }
          throw managedObjectNotFound(call.target);
        },
      }],
      ['WaitForUpdatesEx', {
        run: (call: SoapCall) => {
          const options = (call.args.options ?? {}) as { maxWaitSeconds?: number; maxObjectUpdates?: number };
          const maxWaitMs = options.maxWaitSeconds === undefined ? undefined : Math.max(0, options.maxWaitSeconds) * 1000;
          return this.waitForUpdates(call, call.args.version as string | undefined, maxWaitMs, options.maxObjectUpdates);
        },
      }],
      ['WaitForUpdates', {
        // The old call always answers an UpdateSet; after the bound it answers one with no filters.
        run: async (call: SoapCall) => {
          const result = await this.waitForUpdates(call, call.args.version as string | undefined, undefined, undefined);
          return result ?? { _type: 'UpdateSet', version: String(this.stateFor(call).version) };
        },
      }],
      ['CheckForUpdates', { run: (call: SoapCall) => this.waitForUpdates(call, call.args.version as string | undefined, 0, undefined) }],
      ['CancelWaitForUpdates', {
        run: (call: SoapCall) => {
          const state = this.stateFor(call);
          state.waiter?.reject(requestCanceled('The request was canceled by the user.'));
          state.waiter = undefined;
          return undefined;
        },
      }],
    ]);
  }

  // ---------------------------------------------------------------- retrieval and pages

  private retrieve(specSet: PropertyFilterSpec[], call: SoapCall): ObjectContent[] {
    if (specSet.length === 0) throw invalidArgument('specSet');
    const ctx = this.context(call);
    return specSet.flatMap((spec) => retrieveContents(spec, ctx));
  }

  private context(call: SoapCall): RetrievalContext {
    return { directory: this.options.directory, authorizer: this.options.authorizer, session: sessionOf(call) };
  }

  /** The first `pageSize` objects, and a token for the rest (RetrieveResult; undefined when empty). */
  private page(state: CollectorState, contents: ObjectContent[], pageSize: number): unknown {
    if (contents.length === 0) return undefined;
    const objects = contents.slice(0, pageSize);
    const result: Record<string, unknown> = { _type: 'RetrieveResult', objects };
    if (contents.length > pageSize) {
      this.prunePages(state);
      const token = randomBytes(16).toString('hex');
      state.pages.set(token, { rest: contents.slice(pageSize), pageSize, expiresAt: this.now() + (this.options.tokenLifetimeMs ?? 10 * 60_000) });
      result.token = token;
    }
    return result;
  }

  private takePage(state: CollectorState, token: string): Page {
    this.prunePages(state);
    const page = state.pages.get(token);
    state.pages.delete(token);
    if (!page) throw invalidArgument('token');
    return page;
  }

  private prunePages(state: CollectorState): void {
    const now = this.now();
    for (const [token, page] of state.pages) if (page.expiresAt < now) state.pages.delete(token);
    const max = this.options.maxTokens ?? 16;
    for (const token of state.pages.keys()) {
      if (state.pages.size < max) break;
      state.pages.delete(token);
    }
  }

  // ---------------------------------------------------------------- updates

  private async waitForUpdates(call: SoapCall, version: string | undefined, maxWaitMs: number | undefined, maxObjectUpdates: number | undefined): Promise<unknown> {
    const state = this.stateFor(call);
    const ctx = this.context(call);
    if (version === undefined || version === '') {
      for (const filter of state.filters.values()) filter.reset();
    } else if (version !== String(state.version)) {
      throw new SoapFault({ _type: 'InvalidCollectorVersion' }, 'The version of the collector is not valid.');
    }
    // A newer wait on the same collector ends the older one, as vCenter does.
    state.waiter?.reject(requestCanceled('The request was canceled by a newer WaitForUpdates.'));
    state.waiter = undefined;
    const collect = (): unknown => this.collectUpdates(state, ctx, maxObjectUpdates);
    const first = collect();
    if (first !== undefined || maxWaitMs === 0) return first;
    const limit = Math.min(maxWaitMs ?? Infinity, this.options.maxWaitMs ?? 15 * 60_000);
    return new Promise((resolve, reject) => {
      let pending = false;
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        unsubscribe();
        if (state.waiter === waiter) state.waiter = undefined;
      };
      const waiter: Waiter = {
        resolve: (value) => { finish(); resolve(value); },
        reject: (err) => { finish(); reject(err); },
      };
      const timer = setTimeout(() => waiter.resolve(undefined), limit);
      const poll = setInterval(() => recheck(), this.options.pollIntervalMs ?? 2000);
      // Notifications are coalesced: one recomputation per turn of the event loop at most.
      const recheck = (): void => {
        if (pending) return;
        pending = true;
        setImmediate(() => {
          pending = false;
          if (state.waiter !== waiter) return;
          try {
            const update = collect();
            if (update !== undefined) waiter.resolve(update);
          } catch (err) {
            waiter.reject(err);
          }
        });
      };
      const unsubscribe = this.options.notifier.subscribe(recheck);
      state.waiter = waiter;
    });
  }

  /** The UpdateSet of every filter's changes since the last one reported (undefined: none). */
  private collectUpdates(state: CollectorState, ctx: RetrievalContext, maxObjectUpdates: number | undefined): unknown {
    let budget = maxObjectUpdates !== undefined && maxObjectUpdates > 0 ? maxObjectUpdates : Infinity;
    let truncated = false;
    const filterSet: unknown[] = [];
    for (const filter of state.filters.values()) {
      const update = filter.diff(ctx, budget);
      if (!update) continue;
      budget -= update.objectCount;
      truncated ||= update.truncated;
      filterSet.push(update.value);
    }
    if (filterSet.length === 0) return undefined;
    state.version += 1;
    return { _type: 'UpdateSet', version: String(state.version), filterSet, truncated: truncated ? true : undefined };
  }

  private wake(state: CollectorState): void {
    if (state.waiter) this.options.notifier.notify(state.ref);
  }

  // ---------------------------------------------------------------- session scoping

  /** The calling session's state on the call's collector (ManagedObjectNotFound for another session's collector). */
  private stateFor(call: SoapCall): CollectorState {
    const session = sessionOf(call);
    const ref = call.target;
    const key = stateKey(ref, session);
    let state = this.states.get(key);
    if (!state) {
      if (ref.value !== this.options.ref.value) throw managedObjectNotFound(ref);
      state = new CollectorState(ref, session.key);
      this.states.set(key, state);
    }
    return state;
  }

  private privateOwner(value: string): string | undefined {
    for (const state of this.states.values()) if (state.ref.value === value) return state.sessionKey;
    return undefined;
  }

  private filterRefsOf(ref: ManagedObjectReference): ManagedObjectReference[] {
    return [...this.states.values()].filter((s) => s.ref.value === ref.value).flatMap((s) => [...s.filters.values()].map((f) => f.ref));
  }
}

function sessionOf(call: SoapCall): HostSession {
  if (!call.session) throw notAuthenticated(call.target);
  return call.session;
}

function stateKey(ref: ManagedObjectReference, session: HostSession): string {
  return `${ref.value}\u0000${session.key}`;
}
