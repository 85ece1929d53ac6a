import type { Container } from 'inversify';
import type { ModuleName } from '../config/config';
import type { Subscription } from '../bus/subscription';
import type { RouteDefinition } from '../http/route';

export interface JobDefinition {
  name: string;
  intervalMs: number;
  run(): Promise<void>;
}

/**
 * Everything a module tells the platform about itself. The module's services live in its own
 * child container, so a sibling module cannot resolve them; platform services are inherited.
 * Its migrations are the files in `migrations/<name>/`.
 */
export interface ModuleDefinition {
  name: ModuleName;
  bind(container: Container): void;
  routes?(container: Container): RouteDefinition[];
  subscriptions?(container: Container): Subscription[];
  jobs?(container: Container): JobDefinition[];
  /** Runs once after migrations, before the server listens (e.g. ensure the admin, seed the demo). */
  onStart?(container: Container): Promise<void>;
}

export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}
