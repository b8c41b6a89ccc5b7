import { CompositeDirectory, type ObjectDirectory } from '../managed-object.js';
import type { Authenticator, Authorizer } from './authorizer.js';
import { ChangeNotifier } from './change-notifier.js';
import { Dispatcher, type CallGate } from './dispatcher.js';
import type { MethodTable } from './method-handler.js';
import { PropertyCollector } from './property-collector.js';
import { serviceInstanceMethods, ServiceInstanceObject, serviceMorefs, type ServiceDescription, type ServiceMorefs } from './service-instance.js';
import { SessionManager, type SessionManagerOptions } from './session-manager.js';
import { SessionManagerObject, sessionMethods } from './session-methods.js';
import { SoapServer, type SoapServerOptions } from './soap-server.js';
import { TaskManager, type TaskManagerOptions } from './task-manager.js';
import { ViewManager } from './view-manager.js';

/**
 * Everything SOAP for one host instance (one vCenter, or one ESXi host), wired once: sessions,
 * the ServiceInstance, the property collector, views, tasks and the dispatcher over them. The
 * runtime adds the inventory's directory and the method tables of the other parts, then listens.
 */

export interface SoapServiceOptions {
  description: ServiceDescription;
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Shared with whatever changes managed objects, so WaitForUpdatesEx wakes (a new one if absent). */
  notifier?: ChangeNotifier;
  session?: Omit<SessionManagerOptions, 'authenticator'>;
  task?: Omit<TaskManagerOptions, 'personality' | 'directory' | 'notifier'>;
  log?: (line: string) => void;
}

export class SoapService {
  readonly refs: ServiceMorefs;
  readonly notifier: ChangeNotifier;
  readonly sessions: SessionManager;
  readonly tasks: TaskManager;
  readonly propertyCollector: PropertyCollector;
  readonly views: ViewManager;
  readonly dispatcher: Dispatcher;
  /** Every object the host serves: the SOAP side's own, then each directory added. */
  readonly directory = new CompositeDirectory();
  private readonly methods: MethodTable = new Map();

  constructor(private readonly options: SoapServiceOptions) {
    const { description, authorizer } = options;
    this.refs = serviceMorefs(description.personality);
    this.notifier = options.notifier ?? new ChangeNotifier();
    this.sessions = new SessionManager({ ...options.session, authenticator: options.authenticator });
    this.tasks = new TaskManager({ ...options.task, personality: description.personality, directory: this.directory, notifier: this.notifier });
    this.propertyCollector = new PropertyCollector({
      ref: this.refs.propertyCollector, directory: this.directory, authorizer, notifier: this.notifier,
    });
    this.views = new ViewManager({ ref: this.refs.viewManager, directory: this.directory, authorizer });
    this.sessions.onSessionEnd((session) => {
      this.propertyCollector.endSession(session);
      this.views.endSession(session);
    });

    const serviceInstance = new ServiceInstanceObject(description);
    const sessionManager = new SessionManagerObject(this.refs.sessionManager, this.sessions);
    this.directory
      .add({ lookup: (ref) => (ref.type === 'ServiceInstance' && ref.value === serviceInstance.ref.value ? serviceInstance : undefined) })
      .add({ lookup: (ref) => (ref.type === 'SessionManager' && ref.value === sessionManager.ref.value ? sessionManager : undefined) })
      .add(this.propertyCollector)
      .add(this.views)
      .add(this.tasks);

    this.addMethods(serviceInstanceMethods(description));
    this.addMethods(sessionMethods(this.sessions, description.personality));
    this.addMethods(this.propertyCollector.methods());
    this.addMethods(this.views.methods());
    this.addMethods(this.tasks.methods());
    this.dispatcher = new Dispatcher({
      methods: this.methods, sessions: this.sessions, authorizer, directory: this.directory, log: options.log,
    });
  }

  /** Add the objects another part serves (the inventory, the NFC service...). */
  addDirectory(directory: ObjectDirectory): this {
    this.directory.add(directory);
    return this;
  }

  /** Add another part's methods; a method already served is an error (one handler per method). */
  addMethods(table: MethodTable): this {
    for (const [name, handler] of table) {
      if (this.methods.has(name)) throw new Error(`SOAP method ${name} is served twice`);
      this.methods.set(name, handler);
    }
    return this;
  }

  /** A check run after the privilege check of every call (DisableMethods' MethodDisabled). */
  addGate(gate: CallGate): this {
    this.dispatcher.addGate(gate);
    return this;
  }

  /** Start the HTTPS endpoint over this service. */
  listen(options: Omit<SoapServerOptions, 'dispatcher'>): Promise<SoapServer> {
    return SoapServer.listen({ log: this.options.log, ...options, dispatcher: this.dispatcher });
  }
}
