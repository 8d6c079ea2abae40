import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomMessageDataSchema } from '#contracts/room-messages.ts';
import type { ItemFrame, ServerFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { connectClient, itemsOf, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
const clients: TestClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
});

async function member(room: string, user?: string): Promise<TestClient> {
  const query = new URLSearchParams({ vehicleId: `room-${room}`, ...(user ? { user } : {}) });
  const connected = await connectClient(`${platform.endpoints.websocket}/?${query}`);
  clients.push(connected);
  return connected;
}

const isMessage = (text: string) => (frame: ServerFrame) =>
  frame.type === 'item' && frame.channel.startsWith('message#') && frame.data.text === text;
const isError = (code: string) => (frame: ServerFrame) => frame.type === 'error' && frame.code === code;

describe('chat rooms through the local platform', () => {
  it('delivers a message to every member with the connection user as author and server time', async () => {
    const ana = await member('spine', 'ana');
    const ben = await member('spine', 'ben');
    const before = Date.now();
    ana.send({ action: 'publish', room: 'spine', text: 'hola' });

    await ana.next((frame) => frame.type === 'ack' && frame.action === 'publish', 'the ack');
    const frame = (await ben.next(isMessage('hola'), "ana's message at ben")) as ItemFrame;
    expect(frame.key).toBe('room-spine');
    const data = RoomMessageDataSchema.parse(frame.data);
    expect(data.author).toBe('ana');
    expect(data.postedAt).toBeGreaterThanOrEqual(before);
    await ana.next(isMessage('hola'), 'her own message back');
    expect([...ana.invalid, ...ben.invalid]).toEqual([]);
  });

  it('refuses edits by another user and applies the author’s edit and soft delete', async () => {
    const ana = await member('edits', 'ana');
    const ben = await member('edits', 'ben');
    ana.send({ action: 'publish', room: 'edits', text: 'first' });
    const posted = (await ben.next(isMessage('first'), 'the message')) as ItemFrame;
    const messageId = posted.channel.slice('message#'.length);

    ben.send({ action: 'edit', room: 'edits', messageId, text: 'mine now' });
    const refused = await ben.next(isError('Forbidden'), 'the Forbidden frame');
    expect(refused).toMatchObject({ action: 'edit', message: 'only ana may edit this message' });
    ben.send({ action: 'delete', room: 'edits', messageId });
    await ben.next((frame) => isError('Forbidden')(frame) && frame !== refused, 'the second Forbidden frame');

    ana.send({ action: 'edit', room: 'edits', messageId, text: 'first, edited' });
    const edited = (await ben.next(isMessage('first, edited'), 'the edit')) as ItemFrame;
    expect(edited.version).toBe(posted.version + 1);

    ana.send({ action: 'delete', room: 'edits', messageId });
    const deleted = (await ben.next(
      (frame) => frame.type === 'item' && frame.channel === posted.channel && frame.data.deleted === true,
      'the soft delete',
    )) as ItemFrame;
    expect(deleted.data).not.toHaveProperty('text');
    expect(deleted.data.author).toBe('ana');
  });

  it('gives a late joiner the room as a snapshot', async () => {
    const ana = await member('history', 'ana');
    ana.send({ action: 'publish', room: 'history', text: 'before you came' });
    await ana.next(isMessage('before you came'), 'the message');
    const late = await member('history', 'cleo');
    late.send({ action: 'sync', key: 'room-history' });
    const snapshot = await late.next((frame) => frame.type === 'snapshot', 'the snapshot');
    expect(snapshot.type === 'snapshot' && itemsOf(snapshot).map((item) => item.data.text)).toEqual([
      'before you came',
    ]);
  });

  it('answers bad input with error frames and keeps the connection open', async () => {
    const anonymous = await member('errors');
    anonymous.send({ action: 'publish', room: 'errors', text: 'who am I' });
    await anonymous.next(isError('Forbidden'), 'Forbidden for a connection without a user');

    const ana = await member('errors', 'ana');
    ana.send({ action: 'publish', room: 'no spaces', text: '' });
    const invalid = await ana.next(isError('ValidationError'), 'the ValidationError frame');
    expect(invalid.type === 'error' && invalid.issues?.map((issue) => issue.path).sort()).toEqual([
      'body.room',
      'body.text',
    ]);
    ana.send({ action: 'edit', room: 'errors', messageId: 'nope', text: 'x' });
    await ana.next(isError('NotFound'), 'NotFound for an unknown message');
    ana.send({ action: 'ping' });
    await ana.next((frame) => frame.type === 'ack' && frame.action === 'ping', 'the pong');
  });

  it('refuses a connection whose user name is malformed', async () => {
    await expect(member('errors', 'not a name!')).rejects.toMatchObject({ status: 400 });
  });
});
