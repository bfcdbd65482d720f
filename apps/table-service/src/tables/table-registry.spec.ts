import { describe, expect, it } from 'vitest';
import { TableFullError, UnknownTableError } from './table-errors.js';
import { TableRegistry } from './table-registry.js';

function seatsAt(registry: TableRegistry, tableId: string): string[] | undefined {
  return registry.get(tableId)?.seatedPlayerIds;
}

function errorFrom(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('TableRegistry', () => {
  it('lists the seeded tables with their capacities and seats', () => {
    const tables = new TableRegistry().list();

    expect(tables.map(({ id, capacity, seatedPlayerIds }) => ({ id, capacity, seatedPlayerIds }))).toEqual([
      { id: 't1', capacity: 6, seatedPlayerIds: ['p1', 'p2'] },
      { id: 't2', capacity: 4, seatedPlayerIds: ['p3'] },
      { id: 't3', capacity: 2, seatedPlayerIds: ['p4', 'p5'] },
      { id: 't4', capacity: 9, seatedPlayerIds: [] },
      { id: 't5', capacity: 6, seatedPlayerIds: ['p6'] },
    ]);
    for (const table of tables) {
      expect(table.name).toMatch(/\S/);
      expect(table.game).toMatch(/^[a-z]+$/);
      expect(table.stakes).toMatch(/^\d+(\.\d+)?\/\d+(\.\d+)?$/);
    }
  });

  it('gets one table, or undefined when unknown', () => {
    const registry = new TableRegistry();

    expect(registry.get('t3')).toEqual(registry.list()[2]);
    expect(registry.get('t9')).toBeUndefined();
  });

  it('seats a joining player after those already seated', () => {
    const registry = new TableRegistry();

    const table = registry.join('t1', 'p7');

    expect(table.seatedPlayerIds).toEqual(['p1', 'p2', 'p7']);
    expect(seatsAt(registry, 't1')).toEqual(['p1', 'p2', 'p7']);
  });

  it('keeps a seated player in place when they join again, even at a full table', () => {
    const registry = new TableRegistry();

    expect(registry.join('t1', 'p1').seatedPlayerIds).toEqual(['p1', 'p2']);
    expect(registry.join('t3', 'p5').seatedPlayerIds).toEqual(['p4', 'p5']);
  });

  it('refuses a new player at a full table', () => {
    const registry = new TableRegistry();

    const error = errorFrom(() => registry.join('t3', 'p7'));

    expect(error).toBeInstanceOf(TableFullError);
    expect(error).toMatchObject({ name: 'TableFullError', tableId: 't3', capacity: 2 });
    expect(seatsAt(registry, 't3')).toEqual(['p4', 'p5']);
  });

  it('fills a table up to its capacity and no further', () => {
    const registry = new TableRegistry();

    for (const playerId of ['p7', 'p8', 'p9']) registry.join('t2', playerId);

    expect(seatsAt(registry, 't2')).toEqual(['p3', 'p7', 'p8', 'p9']);
    expect(() => registry.join('t2', 'p10')).toThrow(TableFullError);
  });

  it('unseats a leaving player, freeing the seat', () => {
    const registry = new TableRegistry();

    expect(registry.leave('t3', 'p4').seatedPlayerIds).toEqual(['p5']);
    expect(registry.join('t3', 'p7').seatedPlayerIds).toEqual(['p5', 'p7']);
  });

  it('changes nothing when a player leaves a table they are not seated at', () => {
    const registry = new TableRegistry();

    expect(registry.leave('t1', 'p9').seatedPlayerIds).toEqual(['p1', 'p2']);
    expect(registry.leave('t4', 'p1').seatedPlayerIds).toEqual([]);
  });

  it('rejects joining or leaving an unknown table', () => {
    const registry = new TableRegistry();

    const onJoin = errorFrom(() => registry.join('t9', 'p1'));
    const onLeave = errorFrom(() => registry.leave('t9', 'p1'));

    expect(onJoin).toBeInstanceOf(UnknownTableError);
    expect(onJoin).toMatchObject({ name: 'UnknownTableError', tableId: 't9' });
    expect(onLeave).toBeInstanceOf(UnknownTableError);
  });

  it('hands out copies that cannot change the registry', () => {
    const registry = new TableRegistry();

    registry.list()[0]?.seatedPlayerIds.push('p20');
    const table = registry.get('t1');
    table?.seatedPlayerIds.push('p20');
    if (table) table.capacity = 1;
    registry.join('t4', 'p1').seatedPlayerIds.push('p20');
    registry.leave('t5', 'p1').seatedPlayerIds.push('p20');

    expect(registry.get('t1')).toMatchObject({ capacity: 6, seatedPlayerIds: ['p1', 'p2'] });
    expect(seatsAt(registry, 't4')).toEqual(['p1']);
    expect(seatsAt(registry, 't5')).toEqual(['p6']);
  });

  it('starts every registry from the same seed', () => {
    new TableRegistry().join('t4', 'p1');

    expect(seatsAt(new TableRegistry(), 't4')).toEqual([]);
  });
});
