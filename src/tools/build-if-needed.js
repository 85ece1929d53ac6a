#!/usr/bin/env node
// `npm start` runs the compiled server and serves the built operator console; build either first
// when it is missing or older than its sources (the server: src and migrations; the console: console/).
// `build-if-needed.js console` builds the console only (what the browser tests need before they start a server under tsx).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '../..');

function newestMtime(dir, extensions) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, extensions));
    else if (extensions.some((ext) => entry.name.endsWith(ext))) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const builtAt = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);

const consoleOnly = process.argv[2] === 'console';
const server = path.join(root, 'dist', 'src', 'main.js');
if (!consoleOnly && builtAt(server) < Math.max(newestMtime(path.join(root, 'src'), ['.ts']), newestMtime(path.join(root, 'migrations'), ['.ts']))) {
  console.error('building the server (dist is missing or older than src)...');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
    cwd: root,
  });
}

const consolePage = path.join(root, 'dist', 'console', 'index.html');
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (builtAt(consolePage) < newestMtime(path.join(root, 'console'), ['.ts', '.tsx', '.css', '.html', '.mjs', '.json'])) {
  // Vite is a development dependency: an install without it serves the API, and /console says it is not built.
  if (!fs.existsSync(vite)) {
    console.error('not building the operator console: Vite is not installed (npm ci without --omit=dev); /console will answer 404');
    process.exit(0);
  }
  console.error('building the operator console (dist/console is missing or older than console/)...');
  execFileSync(process.execPath, [vite, 'build', '--config', path.join(root, 'console', 'vite.config.mjs'), '--configLoader', 'native'], {
    stdio: 'inherit',
    cwd: root,
  });
}
