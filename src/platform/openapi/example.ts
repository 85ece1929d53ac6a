import type { JsonSchema } from './json-schema';

/** Values for well-known property names, tried before anything generic. */
const BY_NAME: Array<[RegExp, unknown]> = [
  [/e-?mail/i, 'minji.kim@example.com'],
  [/password/i, 'correct-horse-42'],
  [/^name$/i, 'Minji Kim'],
  [/title/i, 'Summer Night Live'],
  [/artist/i, 'The Midnight Band'],
  [/venue/i, 'Olympic Hall, Seoul'],
  [/label/i, 'A-1'],
  [/reason/i, 'changed my mind'],
  [/url$/i, 'https://example.com/hook'],
  [/(At|Time)$/, '2030-05-01T19:00:00.000Z'],
  [/amount|price/i, 50000],
];

const BY_FORMAT: Record<string, string> = {
  email: 'minji.kim@example.com',
  'date-time': '2030-05-01T19:00:00.000Z',
  date: '2030-05-01',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '3f0c7e9a-5b8d-4c1e-9f2a-7d6b5e4c3a21',
};

/**
 * A plausible example value for a JSON Schema. The caller keeps it only if the zod schema it came
 * from accepts it, so a guess that misses (a pattern, a refinement) is dropped, never published.
 */
export function sampleFromSchema(schema: JsonSchema, propertyName = '', depth = 0): unknown {
  if (depth > 6) return undefined;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const first = (options as JsonSchema[]).find((o) => o.type !== 'null') ?? (options as JsonSchema[])[0];
      return first ? sampleFromSchema(first, propertyName, depth + 1) : undefined;
    }
  }
  if (Array.isArray(schema.allOf)) return sampleFromSchema(Object.assign({}, ...(schema.allOf as JsonSchema[])), propertyName, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : (schema.type as string | undefined);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      for (const [name, property] of Object.entries(properties)) {
        const value = sampleFromSchema(property, name, depth + 1);
        if (value !== undefined) out[name] = value;
      }
      return out;
    }
    case 'array': {
      const item = schema.items ? sampleFromSchema(schema.items as JsonSchema, propertyName.replace(/s$/, ''), depth + 1) : undefined;
      const count = Math.max(1, Number(schema.minItems ?? 1));
      return item === undefined ? [] : Array.from({ length: count }, () => item);
    }
    case 'integer':
    case 'number': {
      const named = byName(propertyName);
      if (typeof named === 'number' && fitsNumber(schema, named)) return named;
      if (typeof schema.minimum === 'number') return schema.minimum;
      if (typeof schema.exclusiveMinimum === 'number') return type === 'integer' ? Math.floor(schema.exclusiveMinimum) + 1 : schema.exclusiveMinimum + 1;
      return 1;
    }
    case 'boolean':
      return true;
    case 'string': {
      if (typeof schema.format === 'string' && BY_FORMAT[schema.format]) return BY_FORMAT[schema.format];
      const named = byName(propertyName);
      if (typeof named === 'string') return named;
      const min = Number(schema.minLength ?? 1);
      return 'example'.padEnd(min, 'x');
    }
    default:
      return undefined;
  }
}

function byName(propertyName: string): unknown {
  return BY_NAME.find(([pattern]) => pattern.test(propertyName))?.[1];
}

function fitsNumber(schema: JsonSchema, value: number): boolean {
  if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
  if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) return false;
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) return false;
  return true;
}
