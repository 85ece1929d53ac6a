import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { MODULE_NAMES } from '../../src/platform/config/config';

const root = path.resolve(__dirname, '../..');
const concertSrc = path.join(root, 'src/modules/concert');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Tables the reservation module creates, read from its migrations, plus names such a module would likely use. */
function reservationTables(): string[] {
  const dir = path.join(root, 'migrations/reservation');
  const fromMigrations = fs.existsSync(dir)
    ? fs.readdirSync(dir).flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/createTable\(\s*['"`]([\w-]+)['"`]/g)].map((m) => m[1]))
    : [];
  return [
    ...new Set([
      ...fromMigrations,
      'reservations',
      'reservation_events',
      'reservation_read_model',
      'reservation_seats',
      'event_store',
      'seat_holds',
      'seat_inventory',
    ]),
  ];
}

/** Every way a concert source could reach into another module: imports of its folder, its database handle, its tables. */
function violations(source: string, tables: string[]): string[] {
  const found: string[] = [];
  const others = MODULE_NAMES.filter((m) => m !== 'concert');
  for (const m of others) {
    const folder = new RegExp(`(from|import|require)\\s*\\(?\\s*['"][^'"]*(\\.\\./${m}|modules/${m})(/|['"])`);
    if (folder.test(source)) found.push(`imports the ${m} module`);
    if (new RegExp(`database\\(\\s*['"]${m}['"]`).test(source)) found.push(`opens the ${m} database`);
  }
  for (const table of tables) {
    if (new RegExp(`['"\`]${table}['"\`]`).test(source) || new RegExp(`\\b(from|join|into|update)\\s+\`?${table}\\b`, 'i').test(source))
      found.push(`names the table ${table}`);
  }
  return found;
}

describe('concert module boundaries (static)', () => {
  const tables = reservationTables();

  it('the check itself catches planted violations', () => {
    expect(violations("import { x } from '../reservation/reservation.module';", tables)).to.not.be.empty;
    expect(violations("import type { Y } from '../../modules/payment/payment.service';", tables)).to.not.be.empty;
    expect(violations("await trx('reservations').where({ id });", tables)).to.not.be.empty;
    expect(violations("await knex.raw('select * from reservation_events')", tables)).to.not.be.empty;
    expect(violations("platform.database('reservation')", tables)).to.not.be.empty;
    expect(violations("await trx('seat_map_claims').where({ reservation_id: 1 });", tables)).to.deep.equal([]);
  });

  it('no file under src/modules/concert reaches another module’s code, database or reservation tables', () => {
    const files = filesUnder(concertSrc);
    expect(files.length).to.be.above(5);
    const problems = files.flatMap((file) => violations(fs.readFileSync(file, 'utf8'), tables).map((v) => `${path.relative(root, file)}: ${v}`));
    expect(problems).to.deep.equal([]);
  });

  it('imports only its own folder, the platform kernel, the contracts and libraries', () => {
    const problems: string[] = [];
    for (const file of filesUnder(concertSrc)) {
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        const allowed = [concertSrc, path.join(root, 'src/platform'), path.join(root, 'src/contracts')].some(
          (dir) => target === dir || target.startsWith(dir + path.sep),
        );
        if (!allowed) problems.push(`${path.relative(root, file)} imports ${spec}`);
      }
    }
    expect(problems).to.deep.equal([]);
  });
});
