import fs from 'node:fs';
import path from 'node:path';

/**
 * Swagger UI for `/docs`, served from the `swagger-ui-dist` files. Every script is an external
 * same-origin file (no inline script), so the page runs under a strict `script-src 'self'` and
 * the API's own CSP stays as it is.
 */
export const DOCS_PATH = '/docs';
export const OPENAPI_PATH = '/openapi.json';

/**
 * The page's own CSP: helmet's default minus `upgrade-insecure-requests`, so the viewer also
 * loads over plain HTTP on a LAN address (a browser would otherwise ask for its scripts over HTTPS).
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join(';');

const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false
  });
});
`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Concert ticketing API</title>
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  <style>body { margin: 0; background: #fafafa; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <noscript>The API description is at <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.</noscript>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/swagger-initializer.js"></script>
</body>
</html>
`;

interface Asset {
  contentType: string;
  /** A file of swagger-ui-dist, or generated content. */
  file?: string;
  content?: string;
}

const ASSETS: Record<string, Asset> = {
  'swagger-ui.css': { contentType: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'swagger-ui-bundle.js': { contentType: 'application/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'favicon-32x32.png': { contentType: 'image/png', file: 'favicon-32x32.png' },
  'favicon-16x16.png': { contentType: 'image/png', file: 'favicon-16x16.png' },
  'swagger-initializer.js': { contentType: 'application/javascript; charset=utf-8', content: INITIALIZER },
};

export const DOCS_ASSET_NAMES = Object.keys(ASSETS);

export function docsPage(): string {
  return PAGE;
}

let distDir: string | null = null;
const loaded = new Map<string, Buffer>();

function swaggerUiDistDir(): string {
  distDir ??= path.dirname(require.resolve('swagger-ui-dist/package.json'));
  return distDir;
}

/** One asset of the viewer, read once and kept in memory; null for an unknown name. */
export function docsAsset(name: string): { body: Buffer; contentType: string } | null {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return null;
  let body = loaded.get(name);
  if (!body) {
    body = asset.content !== undefined ? Buffer.from(asset.content, 'utf8') : fs.readFileSync(path.join(swaggerUiDistDir(), asset.file!));
    loaded.set(name, body);
  }
  return { body, contentType: asset.contentType };
}
