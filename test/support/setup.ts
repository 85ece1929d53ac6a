// Loaded by mocha before any test (see .mocharc.json).
import 'reflect-metadata';

process.env.TZ = 'UTC';

// Root hook: the data directories tests created live until every test is done.
export const mochaHooks = {
  afterAll(): void {
    // Loaded lazily so this setup file stays free of app imports.
    (require('./test-app') as typeof import('./test-app')).removeTempDataDirs();
  },
};
