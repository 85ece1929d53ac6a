import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { errors } from './app-error';
import { sendProblem } from './problem';

/** Where the operator console is served (issue 20), by the app and by the split topology's gateway alike. */
export const CONSOLE_PATH = '/console';

/**
 * The console's own CSP, stricter than helmet's default: its scripts and styles are same-origin
 * files only (no inline script or style, no CDN), it talks to this origin only, and no other site
 * may frame it. No `upgrade-insecure-requests`, so it also works over plain HTTP on a LAN address.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "base-uri 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join(';');

/** The repository root: the nearest folder with a package.json above this file (from `src/` under tsx, or `dist/src/` once built). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** The folder Vite builds the console into (`npm run build`, `vite.config.ts` in `console/`). */
export const CONSOLE_BUILD_DIR = path.join(repositoryRoot(), 'dist', 'console');

/**
 * Serves the built console: `/console` is its page, `/console/assets/*` its hashed files (cached
 * for a year: a new build has new names). The files hold no secret; every call the page makes is
 * authorised by the API. A console that was never built answers 404 saying how to build it.
 */
export function consoleSite(dir: string = CONSOLE_BUILD_DIR): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    // The gateway has no helmet of its own: the headers that matter for a page are set here, in both topologies.
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      index: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=31536000, immutable'),
    }),
  );
  // `/console` and `/console/` are the page (its pages are `#/…` fragments, never asked of the server).
  router.get('/', (_req, res) => {
    const page = path.join(dir, 'index.html');
    if (!fs.existsSync(page))
      return sendProblem(res, errors.notFound('Console', 'The operator console is not built: run `npm run build` (or `npm start`, which builds it).'));
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').sendFile(page);
  });
  router.use((req, res) => sendProblem(res, errors.notFound('File', `No console file ${req.path}.`)));
  return router;
}
