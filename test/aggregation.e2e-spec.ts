import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lobby, Me, TableDetail } from './support/api-types.js';
import { call, expectProblem } from './support/http.js';
import { startStack, type Stack } from './support/stack.js';
import { bearer, token } from './support/token.js';

// The demo data both services start with (table-registry.ts, player-directory.ts).
const SEATED_NAMES: Record<string, [string, string][]> = {
  t1: [
    ['p1', 'Ada Whitfield'],
    ['p2', 'Mateo Álvarez'],
  ],
  t2: [['p3', 'Yuki Tanaka']],
  t3: [
    ['p4', 'Lena Hoffmann'],
    ['p5', 'Oluwaseun Adeyemi'],
  ],
  t4: [],
  t5: [['p6', 'Camille Laurent']],
};

const seatsOf = (pairs: [string, string][]) => pairs.map(([playerId, displayName]) => ({ playerId, displayName }));

describe('aggregated endpoints against the real services', () => {
  let stack: Stack | undefined;
  let base: string;

  beforeAll(async () => {
    stack = await startStack();
    base = stack.baseUrl;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('GET /api/v1/lobby lists the five tables with the seated players named', async () => {
    const result = await call<Lobby>(base, '/api/v1/lobby', { headers: bearer(token('p1')) });

    expect(result.status, result.text).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(result.body.partial).toBe(false);
    expect(result.body.errors).toEqual([]);
    expect(result.body.tables.map((table) => table.id)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    for (const table of result.body.tables) {
      const expected = SEATED_NAMES[table.id]!;
      expect(table.seats, table.id).toEqual(seatsOf(expected));
      expect(table.openSeats, table.id).toBe(table.capacity - expected.length);
    }
    expect(result.body.tables[0]).toMatchObject({ name: 'Main Street', game: 'holdem', stakes: '1/2', capacity: 6 });
  });

  it('GET /api/v1/me as p1 gives the player, the stats and the tables p1 sits at', async () => {
    const result = await call<Me>(base, '/api/v1/me', { headers: bearer(token('p1')) });

    expect(result.status, result.text).toBe(200);
    expect(result.body.player).toEqual({
      id: 'p1',
      displayName: 'Ada Whitfield',
      country: 'GB',
      avatarUrl: 'https://avatars.example/p1.png',
    });
    // Derived deterministically from the player number in player-directory.ts.
    expect(result.body.stats).toEqual({ gamesPlayed: 38, wins: 15, losses: 23, rating: 1337, chips: 6000 });
    expect(result.body.tables).toEqual([{ id: 't1', name: 'Main Street' }]);
    expect(result.body.partial).toBe(false);
    expect(result.body.errors).toEqual([]);
  });

  it('GET /api/v1/me for a subject that is no player is a 404 problem', async () => {
    const result = await call(base, '/api/v1/me', { headers: bearer(token('p999')) });

    const problem = expectProblem(result, 404, 'not-found');
    expect(problem.instance).toBe('/api/v1/me');
  });

  it('GET /api/v1/tables/t1 gives the table with its players named', async () => {
    const result = await call<TableDetail>(base, '/api/v1/tables/t1', { headers: bearer(token('p2')) });

    expect(result.status, result.text).toBe(200);
    expect(result.body).toEqual({
      table: {
        id: 't1',
        name: 'Main Street',
        game: 'holdem',
        stakes: '1/2',
        capacity: 6,
        openSeats: 4,
        seats: seatsOf(SEATED_NAMES['t1']!),
      },
      partial: false,
      errors: [],
    });
  });

  it('POST join then leave on t4 seats the caller and unseats them again, as the lobby shows', async () => {
    const caller = bearer(token('p7'));
    const t4InLobby = async () => {
      const lobby = await call<Lobby>(base, '/api/v1/lobby', { headers: caller });
      expect(lobby.status, lobby.text).toBe(200);
      return lobby.body.tables.find((table) => table.id === 't4')!;
    };

    const joined = await call<TableDetail>(base, '/api/v1/tables/t4/join', { method: 'POST', headers: caller });
    expect(joined.status, joined.text).toBe(200);
    expect(joined.body.table.seats).toEqual([{ playerId: 'p7', displayName: 'Rahul Mehta' }]);
    expect(joined.body.table.openSeats).toBe(8);
    expect(joined.body.partial).toBe(false);
    expect((await t4InLobby()).seats).toEqual([{ playerId: 'p7', displayName: 'Rahul Mehta' }]);

    // Idempotent: joining again keeps the one seat.
    const again = await call<TableDetail>(base, '/api/v1/tables/t4/join', { method: 'POST', headers: caller });
    expect(again.status, again.text).toBe(200);
    expect(again.body.table.seats).toHaveLength(1);

    const left = await call<TableDetail>(base, '/api/v1/tables/t4/leave', { method: 'POST', headers: caller });
    expect(left.status, left.text).toBe(200);
    expect(left.body.table.seats).toEqual([]);
    expect(left.body.table.openSeats).toBe(9);
    expect((await t4InLobby()).seats).toEqual([]);
  });

  it('joining the full table t3 is a 409 problem and seats nobody', async () => {
    const result = await call(base, '/api/v1/tables/t3/join', { method: 'POST', headers: bearer(token('p8')) });

    const problem = expectProblem(result, 409, 'conflict');
    expect(problem.instance).toBe('/api/v1/tables/t3/join');
    expect(problem.detail).toContain('t3');

    const t3 = await call<TableDetail>(base, '/api/v1/tables/t3', { headers: bearer(token('p8')) });
    expect(t3.body.table.seats.map((seat) => seat.playerId)).toEqual(['p4', 'p5']);
  });

  it('an unknown table t9 is a 404 problem on read, join and leave', async () => {
    const caller = bearer(token('p1'));
    for (const [method, path] of [
      ['GET', '/api/v1/tables/t9'],
      ['POST', '/api/v1/tables/t9/join'],
      ['POST', '/api/v1/tables/t9/leave'],
    ] as const) {
      const problem = expectProblem(await call(base, path, { method, headers: caller }), 404, 'not-found');
      expect(problem.instance).toBe(path);
      expect(problem.detail).toContain('t9');
    }
  });
});
