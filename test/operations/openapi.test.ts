import { expect } from 'chai';
import type { RouteDefinition } from '../../src/platform/http/route';
import { operationIdOf, toOpenApiPath } from '../../src/platform/openapi/openapi-document';
import { problemSchema } from '../../src/platform/openapi/problems';
import { createTestApp, signupAndLogin, type TestApp } from '../support/test-app';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every route Express actually mounted (Express 5: `app.router.stack`), as `METHOD /express/:path`. */
function mountedRoutes(app: TestApp): string[] {
  const out: string[] = [];
  for (const layer of (app.platform.app as any).router.stack) {
    if (!layer.route) continue;
    const paths: unknown[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const p of paths) {
      if (typeof p !== 'string') throw new Error(`A route with a non-string path is mounted: ${String(p)}`);
      for (const method of Object.keys(layer.route.methods)) out.push(`${method.toUpperCase()} ${p}`);
    }
  }
  return out.sort();
}

function documentedRoutes(doc: Json): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) out.push(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
  }
  return out.sort();
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local references are expected: ${ref}`);
  let node: any = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

function deref(doc: Json, node: Json): Json {
  return node.$ref ? (resolvePointer(doc, node.$ref) as Json) : node;
}

function allRoutes(app: TestApp): RouteDefinition[] {
  return app.platform.routeGroups.flatMap((g) => g.routes);
}

describe('API documentation (OpenAPI 3.1 and Swagger UI)', () => {
  let app: TestApp;
  let doc: Json;

  before(async () => {
    app = await createTestApp();
    const res = await app.http.get('/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    doc = res.body;
  });
  after(() => app.stop());

  it('documents every mounted route, and mounts every documented one', () => {
    const mounted = mountedRoutes(app);
    const documented = documentedRoutes(doc);
    expect(mounted.length).to.be.greaterThan(10);
    expect(
      mounted.filter((r) => !documented.includes(r)),
      'mounted but not documented',
    ).to.deep.equal([]);
    expect(
      documented.filter((r) => !mounted.includes(r)),
      'documented but not mounted',
    ).to.deep.equal([]);
    // The platform's own endpoints are declared as routes like any module's, documentation included.
    for (const r of [
      'GET /openapi.json',
      'GET /docs',
      'GET /docs/:asset',
      'GET /metrics',
      'GET /health/live',
      'GET /health/ready',
      'GET /admin/events/dead',
      'POST /admin/events/dead/:id/retry',
    ]) {
      expect(mounted, r).to.include(r);
    }
  });

  it('passes a full OpenAPI 3.1 schema validator', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(doc);
    expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
  });

  it('is structurally valid OpenAPI 3.1', () => {
    expect(doc.openapi).to.match(/^3\.1\.\d+$/);
    expect(doc.info.title).to.be.a('string').and.not.empty;
    expect(doc.info.version).to.be.a('string').and.not.empty;
    expect(doc.paths).to.be.an('object');

    const declaredTags = new Set((doc.tags as Json[]).map((t) => t.name));
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      expect(path, path).to.match(/^\//);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries<Json>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(METHODS, where).to.include(method);
        expect(op.operationId, where).to.be.a('string');
        expect(operationIds.has(op.operationId), `duplicate operationId ${op.operationId}`).to.equal(false);
        operationIds.add(op.operationId);
        for (const tag of op.tags) expect(declaredTags.has(tag), `${where}: tag ${tag} is not declared`).to.equal(true);

        const params = (op.parameters as Json[]).map((p) => deref(doc, p));
        const keys = params.map((p) => `${p.in}:${p.name.toLowerCase()}`);
        expect(new Set(keys).size, `${where}: duplicate parameters ${keys}`).to.equal(keys.length);
        for (const p of params) {
          expect(['path', 'query', 'header', 'cookie'], where).to.include(p.in);
          expect(p.schema, `${where} ${p.name}`).to.be.an('object');
          if (p.in === 'path') {
            expect(p.required, `${where}: path parameter ${p.name} must be required`).to.equal(true);
            expect(templated, `${where}: path parameter ${p.name} not in the template`).to.include(p.name);
          }
        }
        for (const name of templated)
          expect(
            params.some((p) => p.in === 'path' && p.name === name),
            `${where}: {${name}} is not declared`,
          ).to.equal(true);

        expect(Object.keys(op.responses).length, where).to.be.greaterThan(0);
        for (const [status, response] of Object.entries<Json>(op.responses)) {
          expect(status, where).to.match(/^([1-5]\d\d|[1-5]XX|default)$/);
          expect(deref(doc, response).description, `${where} ${status}`).to.be.a('string');
        }
        for (const requirement of op.security) {
          for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, `${where}: security scheme ${scheme}`).to.have.property(scheme);
        }
      }
    }

    const refs = collectRefs(doc);
    expect(refs.length).to.be.greaterThan(0);
    for (const ref of new Set(refs)) expect(resolvePointer(doc, ref), `unresolved $ref ${ref}`).to.not.equal(undefined);
  });

  it('describes each route as it is declared: security, queue pass, idempotency, problems, correlation id', () => {
    for (const route of allRoutes(app)) {
      const op: Json = doc.paths[toOpenApiPath(route.path)][route.method];
      const where = `${route.method.toUpperCase()} ${route.path}`;
      expect(op.operationId).to.equal(operationIdOf(route));
      expect(op.summary).to.equal(route.summary);

      if (route.access === 'public') expect(op.security, where).to.deep.equal([]);
      else expect(op.security, where).to.deep.equal([route.queuePass ? { bearerAuth: [], queuePass: [] } : { bearerAuth: [] }]);

      const paramRefs = (op.parameters as Json[]).map((p) => p.$ref).filter(Boolean);
      expect(paramRefs, where).to.include('#/components/parameters/CorrelationId');
      expect(paramRefs.includes('#/components/parameters/IdempotencyKey'), `${where}: Idempotency-Key`).to.equal(Boolean(route.idempotent));

      for (const [status, response] of Object.entries<Json>(op.responses)) {
        expect(response.headers?.['x-correlation-id'], `${where} ${status}: x-correlation-id`).to.deep.equal({ $ref: '#/components/headers/CorrelationId' });
        if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${where} ${status}`).to.deep.equal(['application/problem+json']);
      }
      const codes = (status: number) => Object.keys(op.responses[status]?.content?.['application/problem+json']?.examples ?? {});
      expect(codes(500), where).to.include('INTERNAL_ERROR');
      if (route.body || route.params || route.query) {
        expect(codes(400), where).to.include('VALIDATION_FAILED');
        expect(op.responses[400].content['application/problem+json'].examples.VALIDATION_FAILED.value.errors, where).to.be.an('array').that.is.not.empty;
      }
      if (route.access !== 'public') expect(codes(401), where).to.include('UNAUTHORIZED');
      if (route.access === 'admin') expect(codes(403), where).to.include('FORBIDDEN');
      if (route.queuePass) expect(codes(403), where).to.include.members(['QUEUE_PASS_REQUIRED', 'QUEUE_PASS_INVALID']);
      if (route.idempotent) {
        expect(codes(409), where).to.include('IDEMPOTENCY_IN_FLIGHT');
        expect(codes(422), where).to.include('IDEMPOTENCY_KEY_REUSED');
      }
      if (route.rateLimited) expect(codes(429), where).to.include('RATE_LIMITED');
      for (const status of Object.keys(route.responses)) expect(op.responses, `${where}: declared ${status}`).to.have.property(status);
    }
    expect(doc.components.securitySchemes.bearerAuth).to.include({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.queuePass).to.include({ type: 'apiKey', in: 'header', name: 'X-Queue-Pass' });
    expect(doc.components.parameters.IdempotencyKey).to.include({ in: 'header', name: 'Idempotency-Key' });
  });

  it('documents request bodies with the schemas that validate them, and their examples pass validation', async () => {
    let examples = 0;
    for (const route of allRoutes(app).filter((r) => r.body)) {
      const media = doc.paths[toOpenApiPath(route.path)][route.method].requestBody?.content?.['application/json'];
      expect(media?.schema, `${route.method} ${route.path}: request body schema`).to.be.an('object');
      if (media.example !== undefined) {
        examples += 1;
        const parsed = route.body!.safeParse(media.example);
        expect(parsed.success, `${route.method} ${route.path}: example ${JSON.stringify(media.example)} is refused: ${parsed.error?.message}`).to.equal(true);
      }
    }
    expect(examples).to.be.greaterThan(0);

    // What the document says is the rule the server enforces.
    const signup = doc.paths['/auth/signup'].post.requestBody;
    expect(signup.required).to.equal(true);
    expect(signup.content['application/json'].schema.required).to.include.members(['email', 'password', 'name']);
    expect(signup.content['application/json'].schema.additionalProperties).to.equal(false);
    const minLength = signup.content['application/json'].schema.properties.password.minLength;
    const tooShort = await app.http
      .post('/auth/signup')
      .send({ ...signup.content['application/json'].example, email: 'short@test.local', password: 'x'.repeat(minLength - 1) });
    expect(tooShort.status).to.equal(400);
    expect(tooShort.body.errors.map((e: Json) => e.field)).to.deep.equal(['body.password']);
    const accepted = await app.http
      .post('/auth/signup')
      .send({ ...signup.content['application/json'].example, email: 'exact@test.local', password: 'x'.repeat(minLength) });
    expect(accepted.status).to.equal(201);
  });

  it('real problems match the documented Problem schema', async () => {
    const user = await signupAndLogin(app.http);
    const answers = [
      await app.http.post('/auth/signup').send({ email: 'nope' }),
      await app.http.get('/auth/me'),
      await app.http.get('/admin/events/dead').set(user.auth),
      await app.http.get('/no/such/route'),
      await app.http.get('/docs/no-such-file.js'),
    ];
    expect(answers.map((a) => a.status)).to.deep.equal([400, 401, 403, 404, 404]);
    for (const a of answers) {
      expect(a.headers['content-type']).to.match(/^application\/problem\+json/);
      const parsed = problemSchema.safeParse(a.body);
      expect(parsed.success, JSON.stringify(a.body)).to.equal(true);
      expect(a.body.correlationId).to.equal(a.headers['x-correlation-id']);
    }
  });

  it('serves the same document on every call', async () => {
    const again = await app.http.get('/openapi.json');
    expect(again.text).to.equal(JSON.stringify(doc));
  });

  const fetchBytes = (url: string) =>
    app.http
      .get(url)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });

  it('GET /docs serves Swagger UI that runs under a strict script policy', async () => {
    const page = await app.http.get('/docs');
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.text).to.match(/<!DOCTYPE html>/i);
    expect(page.text).to.include('id="swagger-ui"');

    // No inline script: every <script> has a src, so `script-src 'self'` suffices.
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).to.be.greaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).to.match(/\ssrc="/);
      expect(body.trim()).to.equal('');
    }
    const csp = String(page.headers['content-security-policy']);
    const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src '));
    expect(scriptSrc?.trim()).to.equal("script-src 'self'");
    expect(csp).to.not.include('unsafe-eval');

    // Every file the page loads is served, with its type.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u.startsWith('/docs/'));
    expect(assets).to.include.members(['/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js', '/docs/swagger-ui.css']);
    for (const asset of assets) {
      const res = await fetchBytes(asset);
      expect(res.status, asset).to.equal(200);
      expect((res.body as Buffer).length, asset).to.be.greaterThan(100);
      const expected = asset.endsWith('.js') ? /^application\/javascript/ : asset.endsWith('.css') ? /^text\/css/ : /^image\/png/;
      expect(res.headers['content-type'], asset).to.match(expected);
    }
    const init = await fetchBytes('/docs/swagger-initializer.js');
    expect((init.body as Buffer).toString('utf8')).to.include("url: '/openapi.json'");

    // The API's own responses keep helmet's policy untouched.
    const api = await app.http.get('/health/live');
    expect(api.headers['content-security-policy']).to.include('upgrade-insecure-requests');
    expect(api.headers['content-security-policy']).to.not.equal(page.headers['content-security-policy']);
  });
});
