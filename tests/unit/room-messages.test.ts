import { describe, expect, it } from 'vitest';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { ClientMessageSchema, ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { openConnection } from '#core/connections.ts';
import { ForbiddenError, NotFoundError, StaleWriteError, ValidationError } from '#core/errors.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import type { ConnectionStore } from '#core/ports.ts';
import { newMessageId, parseRoomAction, type RoomPorts, runRoomAction } from '#core/room-messages.ts';
import { connectionStoreWith } from '../helpers/fixtures.ts';

/** An in-memory RealTimeData with the item store's ordering rule (strictly newer ts wins). */
function roomPorts(users: Record<string, string>, now = 1_000_000) {
  const items = new Map<string, RealTimeItem>();
  let ids = 0;
  const ports: RoomPorts & { clock: { now: () => number; set: (t: number) => void } } = {
    connections: { getConnectionUser: async (connectionId) => users[connectionId] },
    items: {
      getItem: async (key, channel) => items.get(`${key}/${channel}`),
      applyReading: async (reading: NormalisedReading) => {
        const id = `${reading.itemKey}/${reading.channel}`;
        const stored = items.get(id);
        if (stored && stored.ts >= reading.ts) return { applied: false };
        const version = (stored?.version ?? 0) + 1;
        items.set(id, {
          itemKey: reading.itemKey,
          channel: reading.channel,
          ts: reading.ts,
          version,
          source: reading.source,
          data: reading.data,
          receivedAt: reading.receivedAt,
          expiresAt: reading.expiresAt,
        });
        return { applied: true, version };
      },
    },
    clock: {
      now: () => now,
      set: (t) => {
        now = t;
      },
    },
    newId: () => `m${++ids}`,
  };
  return { ports, items };
}

const asAlice = { connectionId: 'c-alice', keyAttribute: 'vehicleId', retentionHours: 24 };
const asBob = { connectionId: 'c-bob', keyAttribute: 'vehicleId', retentionHours: 24 };
const users = { 'c-alice': 'alice', 'c-bob': 'bob' };

describe('parseRoomAction', () => {
  it('parses publish, edit and delete, trimming text', () => {
    expect(parseRoomAction('{"action":"publish","room":"lobby","text":"  hi "}')).toEqual({
      action: 'publish',
      room: 'lobby',
      text: 'hi',
    });
    expect(parseRoomAction('{"action":"delete","room":"lobby","messageId":"m1"}')).toEqual({
      action: 'delete',
      room: 'lobby',
      messageId: 'm1',
    });
  });

  it('refuses bad JSON, bad rooms, empty text and an author field', () => {
    expect(() => parseRoomAction('nope')).toThrow(ValidationError);
    expect(() => parseRoomAction('{"action":"publish","room":"a b","text":"x"}')).toThrow(/room/);
    expect(() => parseRoomAction('{"action":"publish","room":"a","text":"   "}')).toThrow(/text/);
    expect(() => parseRoomAction('{"action":"publish","room":"a","text":"x","author":"eve"}')).toThrow(
      ValidationError,
    );
  });

  it('is part of the client message union', () => {
    expect(ClientMessageSchema.parse({ action: 'edit', room: 'r', messageId: 'm1', text: 't' }).action).toBe(
      'edit',
    );
  });
});

describe('runRoomAction', () => {
  it('stores a message under room-<name> with the connection user as author and server time', async () => {
    const { ports, items } = roomPorts(users);
    const frame = await runRoomAction({ action: 'publish', room: 'lobby', text: 'hello' }, asAlice, ports);
    expect(ServerFrameSchema.parse(frame)).toEqual({ type: 'ack', action: 'publish', key: 'room-lobby' });
    const item = items.get('room-lobby/message#m1');
    expect(item).toMatchObject({
      ts: 1_000_000,
      source: 'rooms',
      data: { author: 'alice', text: 'hello', postedAt: 1_000_000 },
    });
  });

  it('gives a message a TTL counted from posting, which an edit does not extend', async () => {
    const { ports, items } = roomPorts(users);
    await runRoomAction({ action: 'publish', room: 'lobby', text: 'helo' }, asAlice, ports);
    const expiresAt = (1_000_000 + 24 * 3_600_000) / 1000;
    expect(items.get('room-lobby/message#m1')?.expiresAt).toBe(expiresAt);
    await runRoomAction({ action: 'edit', room: 'lobby', messageId: 'm1', text: 'hello' }, asAlice, ports);
    expect(items.get('room-lobby/message#m1')?.expiresAt).toBe(expiresAt);
  });

  it('lets the author edit a message, keeping postedAt and moving ts forward', async () => {
    const { ports, items } = roomPorts(users);
    await runRoomAction({ action: 'publish', room: 'lobby', text: 'helo' }, asAlice, ports);
    // Same millisecond: the edit still gets a later ts than the stored one.
    await runRoomAction({ action: 'edit', room: 'lobby', messageId: 'm1', text: 'hello' }, asAlice, ports);
    expect(items.get('room-lobby/message#m1')).toMatchObject({
      ts: 1_000_001,
      version: 2,
      data: { author: 'alice', text: 'hello', postedAt: 1_000_000, editedAt: 1_000_000 },
    });
  });

  it('refuses an edit or delete by another user with Forbidden and leaves the message as it was', async () => {
    const { ports, items } = roomPorts(users);
    await runRoomAction({ action: 'publish', room: 'lobby', text: 'mine' }, asAlice, ports);
    await expect(
      runRoomAction({ action: 'edit', room: 'lobby', messageId: 'm1', text: 'yours' }, asBob, ports),
    ).rejects.toThrow(ForbiddenError);
    await expect(
      runRoomAction({ action: 'delete', room: 'lobby', messageId: 'm1' }, asBob, ports),
    ).rejects.toThrow(ForbiddenError);
    expect(items.get('room-lobby/message#m1')?.data).toEqual({
      author: 'alice',
      text: 'mine',
      postedAt: 1_000_000,
    });
  });

  it('soft-deletes: the item stays with its author, without its text; deleting again is a no-op', async () => {
    const { ports, items } = roomPorts(users);
    await runRoomAction({ action: 'publish', room: 'lobby', text: 'oops' }, asAlice, ports);
    ports.clock.set(1_000_500);
    await runRoomAction({ action: 'delete', room: 'lobby', messageId: 'm1' }, asAlice, ports);
    await runRoomAction({ action: 'delete', room: 'lobby', messageId: 'm1' }, asAlice, ports);
    const item = items.get('room-lobby/message#m1');
    expect(item?.version).toBe(2);
    expect(item?.data).toEqual({ author: 'alice', postedAt: 1_000_000, deleted: true, deletedAt: 1_000_500 });
    await expect(
      runRoomAction({ action: 'edit', room: 'lobby', messageId: 'm1', text: 'back' }, asAlice, ports),
    ).rejects.toThrow(NotFoundError);
  });

  it('refuses connections without a user and unknown messages', async () => {
    const { ports } = roomPorts(users);
    await expect(
      runRoomAction(
        { action: 'publish', room: 'lobby', text: 'hi' },
        { ...asAlice, connectionId: 'anon' },
        ports,
      ),
    ).rejects.toThrow(ForbiddenError);
    await expect(
      runRoomAction({ action: 'edit', room: 'lobby', messageId: 'nope', text: 'x' }, asAlice, ports),
    ).rejects.toThrow(NotFoundError);
  });

  it('with auth on, refuses an action the token does not allow on the room', async () => {
    const { ports, items } = roomPorts(users);
    const claims = { subject: 'alice', keyPatterns: ['room-staff'], ingestActions: ['publish'] };
    await expect(
      runRoomAction({ action: 'publish', room: 'lobby', text: 'hi' }, { ...asAlice, claims }, ports),
    ).rejects.toThrow(ForbiddenError);
    await runRoomAction({ action: 'publish', room: 'staff', text: 'hi' }, { ...asAlice, claims }, ports);
    expect(items.has('room-staff/message#m1')).toBe(true);
  });

  it('with auth on, gives edit rights to the token subject that posted, not to its display name', async () => {
    // Two tokens whose holders both display as "ana" (a `name` claim nobody keeps unique).
    const { ports, items } = roomPorts({ 'c-ana-1': 'ana', 'c-ana-2': 'ana' });
    const as = (connectionId: string, subject: string) => ({
      ...asAlice,
      connectionId,
      claims: { subject, keyPatterns: ['room-*'], ingestActions: ['*'] },
      authorId: `id-of-${subject}`,
    });
    await runRoomAction({ action: 'publish', room: 'lobby', text: 'first' }, as('c-ana-1', 'sub-1'), ports);
    expect(items.get('room-lobby/message#m1')?.data).toMatchObject({
      author: 'ana',
      authorId: 'id-of-sub-1',
    });
    for (const action of [
      { action: 'edit', room: 'lobby', messageId: 'm1', text: 'not yours' },
      { action: 'delete', room: 'lobby', messageId: 'm1' },
    ] as const) {
      await expect(runRoomAction(action, as('c-ana-2', 'sub-2'), ports)).rejects.toThrow('only ana may');
    }
    // The same subject on another connection is the same author; the id stays on the message.
    await runRoomAction(
      { action: 'edit', room: 'lobby', messageId: 'm1', text: 'edited' },
      as('c-ana-2', 'sub-1'),
      ports,
    );
    expect(items.get('room-lobby/message#m1')?.data).toMatchObject({
      authorId: 'id-of-sub-1',
      text: 'edited',
    });
    // A message without an id (auth off when posted) still follows the name.
    await runRoomAction(
      { action: 'publish', room: 'lobby', text: 'open' },
      { ...asAlice, connectionId: 'c-ana-1' },
      ports,
    );
    await runRoomAction(
      { action: 'delete', room: 'lobby', messageId: 'm2' },
      { ...asAlice, connectionId: 'c-ana-2' },
      ports,
    );
    expect(items.get('room-lobby/message#m2')?.data).toMatchObject({ author: 'ana', deleted: true });
  });

  it('reports a lost race as a conflict instead of overwriting', async () => {
    const { ports } = roomPorts(users);
    await runRoomAction({ action: 'publish', room: 'lobby', text: 'a' }, asAlice, ports);
    ports.items.applyReading = async () => ({ applied: false });
    await expect(
      runRoomAction({ action: 'edit', room: 'lobby', messageId: 'm1', text: 'b' }, asAlice, ports),
    ).rejects.toThrow(StaleWriteError);
  });
});

describe('newMessageId', () => {
  it('sorts by time and fits a channel', () => {
    const a = newMessageId(1_000, 'ffffffff-ffff');
    const b = newMessageId(2_000, '00000000-0000');
    expect(a < b).toBe(true);
    expect(`message#${a}`).toMatch(/^message#[A-Za-z0-9_-]+$/);
  });
});

describe('openConnection', () => {
  function store() {
    const added: Array<Parameters<ConnectionStore['addConnection']>[0]> = [];
    const connections = connectionStoreWith({ addConnection: async (input) => void added.push(input) });
    return { connections, added, clock: { now: () => 5_000 } };
  }
  const options = { keyAttribute: 'vehicleId', isQueryParam: true, connectionTtlSeconds: 60 };

  it('records the user named by ?user= on the connection', async () => {
    const ports = store();
    await openConnection(
      { connectionId: 'c1', queryStringParameters: { vehicleId: 'room-a', user: 'ana' } },
      options,
      ports,
    );
    expect(ports.added[0]).toMatchObject({ connectionId: 'c1', key: 'room-a', user: 'ana' });
  });

  it('records no user without ?user= and refuses a malformed one', async () => {
    const ports = store();
    await openConnection({ connectionId: 'c1', queryStringParameters: { vehicleId: '3' } }, options, ports);
    expect(ports.added[0]).not.toHaveProperty('user');
    await expect(
      openConnection(
        { connectionId: 'c2', queryStringParameters: { vehicleId: '3', user: 'a b' } },
        options,
        ports,
      ),
    ).rejects.toThrow(ValidationError);
  });
});
