import type { ZodType } from 'zod';
import type { MountedRoutes } from '../http/create-http-app';
import type { ResponseSpec, RouteDefinition } from '../http/route';
import { sampleFromSchema } from './example';
import { type JsonSchema, SchemaConverter } from './json-schema';
import { codesIn, defaultCode, exampleProblem, PROBLEM_MEDIA_TYPE, type ProblemCase, platformProblems, problemSchema } from './problems';

export const OPENAPI_VERSION = '3.1.0';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export type OpenApiDocument = {
  openapi: string;
  info: OpenApiInfo;
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, unknown>;
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, Parameter>;
    headers: Record<string, unknown>;
  };
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

type Ref = { $ref: string };

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters: Array<Parameter | Ref>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema; example?: unknown }> };
  responses: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}

const DEFAULT_INFO: OpenApiInfo = {
  title: 'Concert ticketing API',
  version: '1.0.0',
  description: [
    'A waiting room, seat holds that expire, point payments and a reservation feed.',
    '',
    '- Authenticated calls send `Authorization: Bearer <accessToken>` from `POST /auth/login`.',
    '- Calls behind the waiting room also send `X-Queue-Pass` from an ACTIVE queue token (`POST /queue/token`, `GET /queue/status`).',
    '- Errors are RFC 9457 `application/problem+json` with a stable `code`; every response carries `x-correlation-id`.',
    '- Checks run in this order: authentication (401), role (403), queue pass (403), input (400), business rules (402/404/409/422).',
  ].join('\n'),
};

const TAG_DESCRIPTIONS: Record<string, string> = {
  auth: 'Accounts and access tokens',
  queue: 'The waiting room: tokens, positions, queue passes',
  concert: 'The concert catalogue and seat maps',
  reservation: 'Seat holds and reservations',
  reservations: 'Seat holds, reservations and the confirm saga',
  payment: 'Points, payments and refunds',
  payments: 'Points, payments and refunds',
  admin: 'Operator calls (ADMIN role)',
  'data-platform': 'The feed of confirmed reservations',
  notifications: 'The buyer’s notifications (in-app; e-mailed when SMTP_URL is set)',
  tickets: 'E-tickets checked at the door (STAFF or ADMIN)',
  operations: 'Health, metrics, bus and dead letters',
  documentation: 'This document and its viewer',
};

/** Express `/a/:id/b` → OpenAPI `/a/{id}/b`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export function operationIdOf(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return [route.method, ...words].map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1))).join('');
}

/**
 * The OpenAPI 3.1 document of every mounted route, built from the same declarations (and the same
 * zod schemas) the HTTP stack validates requests with, so it cannot drift from what runs.
 */
export function buildOpenApiDocument(groups: readonly MountedRoutes[], info: OpenApiInfo = DEFAULT_INFO): OpenApiDocument {
  const schemas = new SchemaConverter();
  schemas.components.Problem = schemas.convert(problemSchema, 'output', 'Problem');
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const group of groups) {
    for (const route of group.routes) {
      const path = toOpenApiPath(route.path);
      paths[path] ??= {};
      const operations = paths[path];
      if (operations[route.method]) throw new Error(`Route declared twice: ${route.method.toUpperCase()} ${route.path}`);
      operations[route.method] = operationOf(route, schemas);
      for (const tag of route.tags) tags.add(tag);
    }
  }
  return {
    openapi: OPENAPI_VERSION,
    info,
    tags: [...tags].sort().map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `accessToken` from `POST /auth/login`.' },
        queuePass: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Queue-Pass',
          description:
            'The `pass.token` of an ACTIVE queue token (`GET /queue/status`), bound to the caller; required together with the bearer token on calls behind the waiting room.',
        },
      },
      schemas: schemas.components,
      parameters: {
        CorrelationId: {
          name: 'x-correlation-id',
          in: 'header',
          required: false,
          description:
            'Ties log lines and events to this request; echoed in the response (generated when absent or not made of `A-Za-z0-9._:-`, at most 100 characters).',
          schema: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9._:-]{1,100}$' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: a repeat with the same key and body returns the stored response (with `Idempotent-Replayed: true`) and has no second effect; the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`; while the first is still running, 409 `IDEMPOTENCY_IN_FLIGHT` with `Retry-After`. Repeat a request that failed with 5xx or a dropped connection with the same key: it continues what the first one started (the same gateway attempt, the same saga), even after a server crash. Keys are scoped to the caller, 1–255 printable ASCII characters, and kept at least 24 h.',
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]{1,255}$' },
        },
      },
      headers: {
        CorrelationId: {
          description: 'The request’s correlation id (echoed or generated); it is on every log line and event the request caused.',
          schema: { type: 'string' },
        },
        RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
        IdempotentReplayed: {
          description: '`true` when this is the stored response of an earlier request with the same `Idempotency-Key`.',
          schema: { type: 'string', enum: ['true'] },
        },
        WWWAuthenticate: { description: 'The authentication scheme: `Bearer`.', schema: { type: 'string' } },
      },
    },
  };
}

function operationOf(route: RouteDefinition, schemas: SchemaConverter): Operation {
  const id = operationIdOf(route);
  const security: Operation['security'] = route.access === 'public' ? [] : [route.queuePass ? { bearerAuth: [], queuePass: [] } : { bearerAuth: [] }];
  const notes: string[] = [];
  if (route.access === 'admin') notes.push('Requires the `ADMIN` role.');
  if (route.access === 'staff') notes.push('Requires the `STAFF` or the `ADMIN` role.');
  if (route.access === 'user') notes.push('Requires a bearer token.');
  if (route.queuePass) notes.push('Behind the waiting room: send `X-Queue-Pass` with the bearer token.');
  if (route.idempotent) notes.push('Honours `Idempotency-Key`.');
  if (route.rateLimited) notes.push('Rate-limited per client address.');
  const operation: Operation = {
    operationId: id,
    summary: route.summary,
    description: [route.description, notes.join(' ')].filter(Boolean).join('\n\n') || undefined,
    tags: route.tags,
    security,
    parameters: [
      ...parametersOf(route, schemas, id),
      ...(route.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
      { $ref: '#/components/parameters/CorrelationId' },
    ],
    responses: responsesOf(route, schemas, id),
    'x-access': route.access,
  };
  if (operation.description === undefined) delete operation.description;
  if (route.queuePass) operation['x-queue-pass'] = true;
  if (route.idempotent) operation['x-idempotent'] = true;
  if (route.body) operation.requestBody = requestBodyOf(route, route.body, schemas, id);
  return operation;
}

function parametersOf(route: RouteDefinition, schemas: SchemaConverter, id: string): Parameter[] {
  const out: Parameter[] = [];
  const pathParams = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  const declaredPath = route.params
    ? propertiesOf(schemas.convert(route.params, 'input', `${id}_params`))
    : new Map<string, { schema: JsonSchema; required: boolean }>();
  for (const name of pathParams) {
    out.push({ name, in: 'path', required: true, schema: declaredPath.get(name)?.schema ?? { type: 'string' } });
  }
  if (route.query) {
    for (const [name, p] of propertiesOf(schemas.convert(route.query, 'input', `${id}_query`))) {
      out.push({
        name,
        in: 'query',
        required: p.required,
        ...(typeof p.schema.description === 'string' ? { description: p.schema.description } : {}),
        schema: p.schema,
      });
    }
  }
  for (const h of route.headers ?? []) out.push({ name: h.name, in: 'header', required: h.required, description: h.description, schema: { type: 'string' } });
  return out;
}

function propertiesOf(objectSchema: JsonSchema): Map<string, { schema: JsonSchema; required: boolean }> {
  const required = new Set((objectSchema.required as string[] | undefined) ?? []);
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  return new Map(Object.entries(properties).map(([name, schema]) => [name, { schema, required: required.has(name) }]));
}

function requestBodyOf(route: RouteDefinition, body: ZodType, schemas: SchemaConverter, id: string): NonNullable<Operation['requestBody']> {
  const schema = schemas.convert(body, 'input', `${id}_body`);
  const media: { schema: JsonSchema; example?: unknown } = { schema };
  if (route.bodyExample !== undefined) {
    media.example = route.bodyExample;
  } else {
    // A synthesized example is published only if the real validator accepts it.
    const sample = sampleFromSchema(schema);
    if (sample !== undefined && body.safeParse(sample).success) media.example = sample;
  }
  return { required: !body.safeParse(undefined).success, content: { 'application/json': media } };
}

function responsesOf(route: RouteDefinition, schemas: SchemaConverter, id: string): Record<string, unknown> {
  const correlation = { 'x-correlation-id': { $ref: '#/components/headers/CorrelationId' } };
  const responses: Record<string, unknown> = {};

  const declared = Object.entries(route.responses).map(([status, spec]) => [Number(status), spec] as const);
  for (const [status, spec] of declared.filter(([s]) => s < 400)) {
    const headers: Record<string, unknown> = { ...correlation };
    if (route.idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
    responses[String(status)] = { description: spec.description, headers, ...contentOf(spec, schemas, `${id}_${status}`) };
  }

  // Problems: the route's own (business rules) and the platform's (checks it runs for this route), merged per status.
  const cases: Array<ProblemCase & { spec?: ResponseSpec }> = [];
  if (route.errors) {
    // The route's errors map is the source: each code at its status, described by the response text for that status.
    for (const [code, status] of Object.entries(route.errors)) {
      const spec = route.responses[status];
      cases.push({ status, code, description: spec?.description ?? code, spec });
    }
    // Platform codes a response text describes more closely than the platform's own wording (VALIDATION_FAILED: …).
    for (const [status, spec] of declared.filter(([s]) => s >= 400)) {
      for (const code of codesIn(spec.description)) if (!cases.some((c) => c.code === code)) cases.push({ status, code, description: spec.description, spec });
    }
  } else {
    for (const [status, spec] of declared.filter(([s]) => s >= 400)) {
      const codes = codesIn(spec.description);
      if (codes.length === 0) cases.push({ status, code: defaultCode(status), description: spec.description, spec });
      else for (const code of codes) cases.push({ status, code, description: spec.description, spec });
    }
  }
  for (const c of platformProblems(route)) if (!cases.some((d) => d.status === c.status && d.code === c.code)) cases.push(c);

  for (const status of [...new Set(cases.map((c) => c.status))].sort((a, b) => a - b)) {
    const here = cases.filter((c) => c.status === status);
    const headers: Record<string, unknown> = { ...correlation };
    for (const name of new Set(here.flatMap((c) => c.headers ?? []))) headers[name] = { $ref: `#/components/headers/${name.replace(/-/g, '')}` };
    const own = here.find((c) => c.spec?.schema);
    const schema = own?.spec?.schema ? schemas.convert(own.spec.schema, 'output', `${id}_${status}`) : { $ref: '#/components/schemas/Problem' };
    const descriptions = [...new Set(here.map((c) => c.description))];
    const examples: Record<string, { summary: string; value: unknown }> = {};
    for (const c of here) {
      if (examples[c.code]) continue;
      examples[c.code] = { summary: c.code, value: c.spec?.example ?? exampleProblem(status, c.code, c.description) };
    }
    responses[String(status)] = {
      description: descriptions.length === 1 ? descriptions[0] : descriptions.map((d) => `- ${d}`).join('\n'),
      headers,
      content: { [PROBLEM_MEDIA_TYPE]: { schema, examples } },
    };
  }
  return responses;
}

function contentOf(spec: ResponseSpec, schemas: SchemaConverter, nameHint: string): { content?: Record<string, unknown> } {
  if (spec.contentType) {
    const mediaType = spec.contentType.split(';')[0].trim();
    return { content: { [mediaType]: { schema: { type: 'string' }, ...(spec.example !== undefined ? { example: spec.example } : {}) } } };
  }
  if (!spec.schema) return spec.example !== undefined ? { content: { 'application/json': { schema: {}, example: spec.example } } } : {};
  return {
    content: {
      'application/json': { schema: schemas.convert(spec.schema, 'output', nameHint), ...(spec.example !== undefined ? { example: spec.example } : {}) },
    },
  };
}
