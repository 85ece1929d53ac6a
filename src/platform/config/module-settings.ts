import { z } from 'zod';
import { ConfigError } from './config';

/**
 * A module's own settings: the environment variables it reads, validated like the platform's
 * (a bad value stops start-up, naming the variable), and turned into the object its classes get
 * as `PLATFORM.Settings`. A module never sees another module's settings or the platform's secrets.
 */
export interface ModuleSettings<S> {
  /** The variables it reads, for documentation and for refusing a bad one early. */
  readonly variables: readonly string[];
  read(env: Readonly<Record<string, string>>): S;
}

export function moduleSettings<Shape extends z.ZodRawShape, S>(shape: Shape, toSettings: (vars: z.infer<z.ZodObject<Shape>>) => S): ModuleSettings<S> {
  const schema = z.object(shape);
  return {
    variables: Object.keys(shape),
    read(env) {
      const parsed = schema.safeParse(env);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
      }
      return toSettings(parsed.data);
    },
  };
}
