import { type ZodType, z } from 'zod';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = Record<string, unknown>;

/**
 * Turns the zod schemas that validate requests (and describe responses) into JSON Schema with
 * zod's own converter. Named definitions (`.meta({ id })`, recursive schemas) come back as
 * `$defs`; they are hoisted into `components.schemas` so every `$ref` resolves inside the document.
 */
export class SchemaConverter {
  /** What goes to `components.schemas`. */
  readonly components: Record<string, JsonSchema> = {};
  private anonymous = 0;

  /** `input` for requests (what a client sends, before coercion), `output` for responses. */
  convert(schema: ZodType, io: 'input' | 'output', nameHint: string): JsonSchema {
    const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as JsonSchema;
    delete converted.$schema;
    const defs = (converted.$defs ?? {}) as Record<string, JsonSchema>;
    delete converted.$defs;

    const renamed = new Map<string, string>();
    for (const [key, def] of Object.entries(defs)) {
      const name = this.componentName(key, def);
      renamed.set(`#/$defs/${key}`, name);
      this.components[name] ??= def;
    }
    const selfReferencing = containsRef(converted, '#');
    const rootName = selfReferencing ? this.freeName(nameHint) : null;
    if (rootName) renamed.set('#', rootName);

    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!node || typeof node !== 'object') return node;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const target = k === '$ref' && typeof v === 'string' ? renamed.get(v) : undefined;
        out[k] = target ? `#/components/schemas/${target}` : rewrite(v);
      }
      return out;
    };
    for (const [key, def] of Object.entries(defs)) this.components[renamed.get(`#/$defs/${key}`)!] = rewrite(def) as JsonSchema;
    const result = rewrite(converted) as JsonSchema;
    if (!rootName) return result;
    this.components[rootName] = result;
    return { $ref: `#/components/schemas/${rootName}` };
  }

  /** Reuses a component of the same name and definition; otherwise takes a free name. */
  private componentName(key: string, def: JsonSchema): string {
    const base = key.replace(/[^A-Za-z0-9._-]/g, '_') || `Schema${++this.anonymous}`;
    const existing = this.components[base];
    if (existing && JSON.stringify(existing) === JSON.stringify(def)) return base;
    return this.freeName(base);
  }

  private freeName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9._-]/g, '_');
    if (!(clean in this.components)) return clean;
    let i = 2;
    while (`${clean}_${i}` in this.components) i += 1;
    return `${clean}_${i}`;
  }
}

function containsRef(node: unknown, ref: string): boolean {
  if (Array.isArray(node)) return node.some((n) => containsRef(n, ref));
  if (!node || typeof node !== 'object') return false;
  return Object.entries(node).some(([k, v]) => (k === '$ref' && v === ref) || containsRef(v, ref));
}
