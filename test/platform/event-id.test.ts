import { expect } from 'chai';
import { z } from 'zod';
import { timeOrderedUuid } from '../../src/platform/bus/event-id';

describe('event ids', () => {
  it('are RFC 9562 version-7 UUIDs carrying the given millisecond', () => {
    const at = Date.UTC(2026, 10, 25, 15, 0, 0, 123);
    const id = timeOrderedUuid(at);
    expect(z.uuid({ version: 'v7' }).safeParse(id).success, id).to.equal(true);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).to.equal(at);
  });

  it('sort by time across milliseconds, and never repeat', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedUuid(1_700_000_000_000 + Math.floor(i / 10)));
    for (let i = 10; i < ids.length; i += 10) expect(ids[i] > ids[i - 1], `${ids[i - 1]} < ${ids[i]}`).to.equal(true);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
