import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '#local/platform.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * The `$connect` authorizer against a real JWKS endpoint (a local HTTP server on 127.0.0.1), with
 * Cognito-shaped RS256 tokens: a failing endpoint answers 503, never 401; a UUID `sub` chats and
 * bids under its `cognito:username` (or `preferred_username`, `name`).
 *
 * The failure cases run first: once the authorizer has read the key set, jose caches it.
 */
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test';
const AUDIENCE = 'app-client-id';
type JwksMode = 'error' | 'not json' | 'hang up' | 'keys';

let platform: Platform;
let jwks: Server;
let mode: JwksMode = 'error';
let publicJwk: JWK;
let privateKey: CryptoKey;
let jwksRequests = 0;
const sockets: TestClient[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey as CryptoKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((request, response) => {
    jwksRequests++;
    if (mode === 'hang up') return request.socket.destroy();
    if (mode === 'error') return response.writeHead(500).end('upstream failure');
    if (mode === 'not json') return response.writeHead(200).end('<html>maintenance</html>');
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as AddressInfo;
  platform = await startTestPlatform({
    jwtSecret: '',
    parameters: {
      AuthMode: 'jwt',
      JwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      JwtIssuer: ISSUER,
      JwtAudience: AUDIENCE,
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  await platform?.stop();
  await new Promise((resolve) => jwks?.close(resolve));
});

/** A token as a Cognito user pool issues it (ID token claims), plus the platform's `keys`/`ingest`. */
function cognitoToken(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ keys: ['room-*', 'product-*'], ingest: ['publish', 'bid'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setSubject(randomUUID())
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
}

async function connect(key: string, token: string): Promise<TestClient> {
  const socket = await connectClient(
    `${platform.endpoints.websocket}/?${new URLSearchParams({ vehicleId: key, token })}`,
  );
  sockets.push(socket);
  return socket;
}

async function status(key: string, token: string): Promise<number | undefined> {
  try {
    await (await connect(key, token)).close();
    return 200;
  } catch (error) {
    return (error as { status?: number }).status;
  }
}

describe('a JWKS endpoint that fails', () => {
  it.each<JwksMode>(['error', 'not json', 'hang up'])(
    'answers 503, never 401, when it %s',
    async (failure) => {
      mode = failure;
      const before = jwksRequests;
      expect(await status('room-a', await cognitoToken({ 'cognito:username': 'ana' }))).toBe(503);
      expect(jwksRequests).toBeGreaterThan(before);
    },
  );

  it('still answers 401 for a token that is bad in itself (no key set needed)', async () => {
    expect(await status('room-a', 'not-a-jwt')).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    expect(await status('room-a', unsigned)).toBe(401);
  });
});

describe('Cognito tokens once the JWKS serves keys', () => {
  it('accepts a valid token and refuses one signed by another key with 401', async () => {
    mode = 'keys';
    expect(await status('room-a', await cognitoToken({ 'cognito:username': 'ana' }))).toBe(200);
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT({ keys: ['*'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject('mallory')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(other.privateKey);
    expect(await status('room-a', forged)).toBe(401);
  });

  it('chats and bids as cognito:username when sub is a UUID', async () => {
    const room = `room-${randomUUID().slice(0, 8)}`;
    const socket = await connect(room, await cognitoToken({ 'cognito:username': 'ana.lopez' }));
    socket.send({ action: 'publish', room: room.slice('room-'.length), text: 'hello' });
    const message = await socket.next((frame) => frame.type === 'item' && frame.key === room, 'the message');
    expect(message).toMatchObject({ data: { author: 'ana.lopez', text: 'hello' } });

    socket.send({ action: 'subscribe', key: 'product-3' });
    await waitFor(
      () => socket.frames.some((frame) => frame.type === 'ack' && frame.action === 'subscribe'),
      'the ack',
    );
    socket.send({ action: 'bid', productId: 3, amount: 150 });
    const bid = await socket.next((frame) => frame.type === 'item' && frame.key === 'product-3', 'the bid');
    expect(bid).toMatchObject({ channel: 'bid', data: { amount: 150, bidder: 'ana.lopez' } });
  });

  it('falls back to preferred_username, then name, past unusable claims', async () => {
    const room = `room-${randomUUID().slice(0, 8)}`;
    const byPreferred = await connect(
      room,
      // An e-mail sign-in pool: cognito:username is a UUID too.
      await cognitoToken({ 'cognito:username': randomUUID(), preferred_username: 'bo', name: 'Bo Berg' }),
    );
    byPreferred.send({ action: 'publish', room: room.slice('room-'.length), text: 'one' });
    const one = await byPreferred.next(
      (frame) => frame.type === 'item' && frame.data.text === 'one',
      'the message "one"',
    );
    expect(one).toMatchObject({ type: 'item', data: { author: 'bo' } });
    const byName = await connect(room, await cognitoToken({ name: 'Cy' }));
    byName.send({ action: 'publish', room: room.slice('room-'.length), text: 'two' });
    const two = await byName.next(
      (frame) => frame.type === 'item' && frame.data.text === 'two',
      'the message "two"',
    );
    expect(two).toMatchObject({ type: 'item', data: { author: 'Cy' } });
  });

  it('lets only the subject that posted edit a message, though another token displays the same name', async () => {
    const room = `room-${randomUUID().slice(0, 8)}`;
    const name = room.slice('room-'.length);
    const chat = { name: 'Dee', ingest: ['publish', 'edit', 'delete'] };
    const author = await connect(room, await cognitoToken(chat));
    author.send({ action: 'publish', room: name, text: 'mine' });
    const posted = await author.next((frame) => frame.type === 'item' && frame.key === room, 'the message');
    const messageId = posted.type === 'item' ? posted.channel.slice('message#'.length) : '';
    expect(posted).toMatchObject({ data: { author: 'Dee', text: 'mine' } });
    // The id is not the subject: members learn nothing of it.
    expect(JSON.stringify(posted)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);

    const namesake = await connect(room, await cognitoToken(chat));
    namesake.send({ action: 'edit', room: name, messageId, text: 'not yours' });
    const refused = await namesake.next((frame) => frame.type === 'error', 'the error frame');
    expect(refused).toMatchObject({ code: 'Forbidden', message: 'only Dee may edit this message' });

    author.send({ action: 'edit', room: name, messageId, text: 'still mine' });
    await author.next(
      (frame) => frame.type === 'item' && frame.key === room && frame.data.text === 'still mine',
      'the edit',
    );
  });

  it('refuses to chat when no claim gives a usable name', async () => {
    const room = `room-${randomUUID().slice(0, 8)}`;
    const socket = await connect(room, await cognitoToken({ name: 'has spaces' }));
    socket.send({ action: 'publish', room: room.slice('room-'.length), text: 'hi' });
    const error = await socket.next((frame) => frame.type === 'error', 'the error frame');
    expect(error).toMatchObject({ code: 'Forbidden' });
  });
});
