import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { CONSOLE_BUILD_DIR, CONSOLE_CSP, consoleSite } from '../../src/platform/http/console-site';
import { ensureBuilt } from '../support/build';
import { createTestApp, type TestApp } from '../support/test-app';

describe('operator console: the static files', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    ensureBuilt('console');
    app = await createTestApp();
  });
  after(() => app.stop());

  it('serves the page at /console and /console/ under a strict CSP, never cached', async () => {
    for (const url of ['/console', '/console/']) {
      const res = await app.http.get(url);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.headers['content-security-policy']).to.equal(CONSOLE_CSP);
      expect(res.headers['cache-control']).to.equal('no-cache');
      expect(res.headers['x-frame-options']).to.equal('DENY');
      expect(res.text).to.contain('<div id="app"></div>');
    }
    // No 'unsafe-inline', nothing from another origin.
    expect(CONSOLE_CSP).to.not.contain('unsafe');
    expect(CONSOLE_CSP).to.match(/script-src 'self'(;|$)/);
    expect(CONSOLE_CSP).to.match(/style-src 'self'(;|$)/);
    expect(CONSOLE_CSP).to.match(/connect-src 'self'(;|$)/);
  });

  it('has no inline script or style and loads nothing from another origin', () => {
    const html = fs.readFileSync(path.join(CONSOLE_BUILD_DIR, 'index.html'), 'utf8');
    expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).to.not.match(/<style/);
    expect(html).to.not.match(/\sstyle=/);
    expect(html).to.not.match(/(src|href)="(https?:)?\/\//);
    expect(html).to.match(/<script type="module" crossorigin src="\/console\/assets\/[\w-]+\.js"><\/script>/);
  });

  it('serves its hashed assets for a year, and a 404 problem for any other file', async () => {
    const html = (await app.http.get('/console')).text;
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).to.be.greaterThanOrEqual(2);
    for (const asset of assets) {
      const res = await app.http.get(asset);
      expect(res.status, asset).to.equal(200);
      expect(res.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
      expect(res.headers['content-security-policy']).to.equal(CONSOLE_CSP);
    }
    for (const missing of ['/console/assets/nope.js', '/console/index.js', '/console/../package.json', '/console/assets/%2e%2e/index.html']) {
      const res = await app.http.get(missing);
      expect(res.status, missing).to.be.oneOf([404]);
    }
    expect((await app.http.post('/console')).status).to.equal(404);
  });

  it('says how to build it when it was never built', async () => {
    const site = express().use('/console', consoleSite(path.join(CONSOLE_BUILD_DIR, 'no-such-build')));
    const res = await request(site).get('/console');
    expect(res.status).to.equal(404);
    expect(res.body.detail).to.contain('npm run build');
  });
});
