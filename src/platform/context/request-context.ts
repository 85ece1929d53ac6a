import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What travels with a request or an event handler: ids that end up on every log line and event. */
export interface ExecutionContext {
  correlationId: string;
  /** Id of the event being handled, when there is one: it becomes the causation id of what is published. */
  causationId?: string;
  userId?: number;
}

const storage = new AsyncLocalStorage<ExecutionContext>();

export function runInContext<T>(ctx: ExecutionContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): ExecutionContext | undefined {
  return storage.getStore();
}

export function newCorrelationId(): string {
  return randomUUID();
}
