import type { Container } from 'inversify';
import type { EventPayload, EventType } from '../../contracts/events';
import type { EventHandler } from '../bus/subscription';
import type { ModuleName } from '../config/config';
import type { ModuleSettings } from '../config/module-settings';
import type { RouteDefinition } from '../http/route';
import type { Metrics } from '../metrics/metrics';

/** What a handler class declares about itself: the event it takes, its subscriber name, and optionally which of them. */
export interface SubscriptionSpec<T extends EventType> {
  event: T;
  /** Unique within the module; the subscriber's id is `<module>.<name>`. */
  name: string;
  only?: (payload: EventPayload<T>) => boolean;
}

/** `static readonly subscription = on('reservation.held', 'copy-on-held')`, next to the handler. */
export function on<T extends EventType>(event: T, name: string, options: { only?: (payload: EventPayload<T>) => boolean } = {}): SubscriptionSpec<T> {
  return { event, name, ...options };
}

/**
 * An event handler class: one a file, resolved from the module's container, declaring its own
 * subscription. Checked by the compiler: the declared event and the handled one must agree.
 */
export type HandlerClass = { [T in EventType]: { new (...args: never[]): EventHandler<T>; readonly subscription: SubscriptionSpec<T> } }[EventType];

export interface JobSchedule {
  name: string;
  everyMs: number;
}

/** `static readonly schedule = every(1000, 'expire-holds')`, next to the job. */
export function every(everyMs: number, name: string): JobSchedule {
  return { name, everyMs };
}

export interface Job {
  run(): Promise<unknown>;
}

/** A periodic job class: one a file, declaring its own schedule. */
export interface JobClass {
  new (...args: never[]): Job;
  readonly schedule: JobSchedule;
}

/** A module's Prometheus series, registered once at start-up. */
export interface ModuleMetrics {
  register(metrics: Metrics): void;
}

/** What the platform runs periodically (jobs of modules and of the platform itself). */
export interface JobDefinition {
  name: string;
  intervalMs: number;
  /** Runs in every replica of the module (a job about this process itself); others run in its leader only. */
  everyReplica?: boolean;
  run(): Promise<unknown>;
}

/**
 * Everything a module tells the platform about itself. Its classes live in its own child
 * container and are their own identifiers (resolved by class, created on first use); symbols
 * name only ports (database, clock, a gateway). A sibling module cannot resolve them. Its
 * migrations are the files in `migrations/<name>/`.
 */
export interface ModuleDefinition<S = unknown> {
  name: ModuleName;
  /** Its own environment variables, bound as `PLATFORM.Settings` in its container. */
  settings?: ModuleSettings<S>;
  /** Binds its ports (interfaces) to implementations, given its settings. */
  bind?(container: Container, settings: S): void;
  routes?(container: Container): RouteDefinition[];
  /** Event handler classes, each declaring its subscription. */
  handlers?: readonly HandlerClass[];
  /** Job classes, each declaring its schedule. */
  jobs?: readonly JobClass[];
  /** Its metrics class (one a module). */
  metrics?: new (
    ...args: never[]
  ) => ModuleMetrics;
  /** Runs once after migrations, before the server listens (e.g. ensure the admin, seed the demo). */
  onStart?(container: Container): Promise<void>;
  /** Runs once while the platform stops, after its jobs and deliveries have finished, before its database closes (e.g. close a client). */
  onStop?(container: Container): Promise<void>;
}

export function defineModule<S>(definition: ModuleDefinition<S>): ModuleDefinition {
  return definition as unknown as ModuleDefinition;
}
