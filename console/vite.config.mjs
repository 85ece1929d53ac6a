// The operator console (issue 20): built by `npm run build` and by `npm start`'s build-if-needed into
// dist/console, served by the app and the gateway at /console under a strict CSP (src/platform/http/console-site.ts).
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  // Everything the page needs is bundled: no CDN, nothing fetched from elsewhere at run time.
  plugins: [preact({ prerender: { enabled: false } })],
  publicDir: false,
  clearScreen: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // No module preload polyfill and no data: URLs in scripts: nothing inline for the CSP to refuse.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
  },
});
