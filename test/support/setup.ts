// Loaded by mocha before any test (see .mocharc.json).
import 'reflect-metadata';

process.env.TZ = 'UTC';

// Root hook: the data directories (and, on the PostgreSQL pass, the databases; with a broker, the streams; with Redis, the keys) tests created live until every test is done.
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    // Dropping a few hundred PostgreSQL databases takes a while.
    this.timeout(600_000);
    // Loaded lazily so this setup file stays free of app imports.
    (require('./test-app') as typeof import('./test-app')).removeTempDataDirs();
    await (require('./test-backend') as typeof import('./test-backend')).dropCreatedDatabases();
    await (require('./test-broker') as typeof import('./test-broker')).deleteCreatedStreams();
    await (require('./test-redis') as typeof import('./test-redis')).deleteCreatedKeys();
    (require('../console/browser') as typeof import('../console/browser')).reportSkippedBrowserTests();
  },
};
