import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TOKEN_AUDIENCE, LOCAL_TOKEN_ISSUER } from '#adapters/jose-token-verifier.ts';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { LOCAL_JWT_SECRET, mintDevToken } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
const clients: TestClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ parameters: { AuthMode: 'jwt' } });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
});

async function connect(query: string): Promise<TestClient> {
  const client = await connectClient(`${platform.endpoints.websocket}/?${query}`);
  clients.push(client);
  return client;
}

async function refusal(query: string): Promise<number | undefined> {
  try {
    const client = await connect(query);
    await client.close();
    return 200;
  } catch (error) {
    return (error as { status?: number }).status;
  }
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const localClaims = () => ({
  sub: 'mallory',
  keys: ['*'],
  iss: LOCAL_TOKEN_ISSUER,
  aud: LOCAL_TOKEN_AUDIENCE,
  exp: now() + 600,
});

describe('$connect with AuthMode=jwt', () => {
  it('accepts a valid dev token that covers the key', async () => {
    const token = await mintDevToken({ sub: 'alice', keys: ['3', 'room-*'] });
    const client = await connect(`vehicleId=3&token=${token}`);
    client.send({ action: 'ping' });
    const ack = await client.next((frame) => frame.type === 'ack', 'the ping ack');
    expect(ack).toMatchObject({ type: 'ack', action: 'ping' });
    expect(client.frames.filter((frame) => frame.type === 'error')).toEqual([]);
  });

  it('answers 401 without a token, as API Gateway does for a missing identity source', async () => {
    expect(await refusal('vehicleId=3')).toBe(401);
  });

  it('answers 401 for a token signed with another secret', async () => {
    const token = await mintDevToken({ sub: 'alice', keys: ['*'], secret: 'x'.repeat(40) });
    expect(await refusal(`vehicleId=3&token=${token}`)).toBe(401);
  });

  it('answers 401 for an expired token', async () => {
    const token = await mintDevToken({ sub: 'alice', keys: ['*'], ttlSeconds: -60 });
    expect(await refusal(`vehicleId=3&token=${token}`)).toBe(401);
  });

  it('answers 401 for an alg:none token', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(localClaims())}.`;
    expect(await refusal(`vehicleId=3&token=${token}`)).toBe(401);
  });

  it('answers 401 for an RS256 token (no algorithm confusion)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(localClaims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await refusal(`vehicleId=3&token=${token}`)).toBe(401);
  });

  it('answers 401 for an HS512 token signed with the right secret (algorithm pinned)', async () => {
    const header = base64url({ alg: 'HS512', typ: 'JWT' });
    const payload = base64url(localClaims());
    const signature = createHmac('sha512', LOCAL_JWT_SECRET)
      .update(`${header}.${payload}`)
      .digest('base64url');
    expect(await refusal(`vehicleId=3&token=${header}.${payload}.${signature}`)).toBe(401);
  });

  it('answers 401 for a wrong audience and for a wrong issuer', async () => {
    const secret = new TextEncoder().encode(LOCAL_JWT_SECRET);
    const wrongAudience = await new SignJWT({ ...localClaims(), aud: 'someone-else' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
    const wrongIssuer = await new SignJWT({ ...localClaims(), iss: 'https://evil.example' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
    expect(await refusal(`vehicleId=3&token=${wrongAudience}`)).toBe(401);
    expect(await refusal(`vehicleId=3&token=${wrongIssuer}`)).toBe(401);
  });

  it('answers 401 for garbage', async () => {
    expect(await refusal('vehicleId=3&token=not.a.jwt')).toBe(401);
  });

  it('answers 403 when the connect key is outside the claims', async () => {
    const token = await mintDevToken({ sub: 'alice', keys: ['3'] });
    expect(await refusal(`vehicleId=4&token=${token}`)).toBe(403);
  });
});

describe('actions checked against the claims', () => {
  it('refuses subscribe and sync outside the claims with Forbidden and sends no data', async () => {
    await postJson(platform.endpoints.http, '/readings', { vehicleId: 'secret-1', data: { speed: 1 } });
    await postJson(platform.endpoints.http, '/readings', { vehicleId: 'fleet-a', data: { speed: 2 } });
    const token = await mintDevToken({ sub: 'alice', keys: ['3', 'fleet-*'] });
    const client = await connect(`vehicleId=3&token=${token}`);

    client.send({ action: 'subscribe', key: 'secret-1' });
    client.send({ action: 'sync', key: 'secret-1' });
    client.send({ action: 'subscribe', key: 'fleet-a' });
    client.send({ action: 'sync', key: 'fleet-a' });
    await waitFor(() => client.frames.length >= 4, 'four replies');
    const errors = client.frames.filter((frame) => frame.type === 'error');
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toMatchObject({ code: 'Forbidden' });
    expect(client.frames).toContainEqual({ type: 'ack', action: 'subscribe', key: 'fleet-a' });
    const snapshot = client.frames.find((frame) => frame.type === 'snapshot');
    expect(snapshot).toMatchObject({ key: 'fleet-a', items: [{ key: 'fleet-a', data: { speed: 2 } }] });

    // A new reading of the forbidden key never reaches the connection; one of an allowed key does.
    await postJson(platform.endpoints.http, '/readings', { vehicleId: 'secret-1', data: { speed: 3 } });
    await postJson(platform.endpoints.http, '/readings', { vehicleId: 'fleet-a', data: { speed: 4 } });
    await client.next((frame) => frame.type === 'item' && frame.key === 'fleet-a', 'the fleet-a item');
    const leaked = client.frames.filter(
      (frame) => (frame.type === 'item' || frame.type === 'snapshot') && frame.key === 'secret-1',
    );
    expect(leaked).toEqual([]);
    expect(client.invalid).toEqual([]);
  });
});

describe('ingest actions checked against their own claims', () => {
  it('refuses a command the token does not allow and publishes one it does', async () => {
    const viewer = await connect(`vehicleId=3&token=${await mintDevToken({ sub: 'viewer', keys: ['3'] })}`);
    viewer.send({ action: 'command', vehicleId: '3', command: 'honk' });
    const refused = await viewer.next((frame) => frame.type === 'error', 'the refusal');
    expect(refused).toMatchObject({ code: 'Forbidden', action: 'command' });

    const operator = await connect(
      `vehicleId=3&token=${await mintDevToken({ sub: 'operator', keys: ['3'], ingest: ['command'] })}`,
    );
    operator.send({ action: 'command', vehicleId: '4', command: 'honk' });
    operator.send({ action: 'command', vehicleId: '3', command: 'honk' });
    await waitFor(() => operator.frames.length >= 2, 'two replies');
    expect(operator.frames.filter((frame) => frame.type === 'error')).toMatchObject([{ code: 'Forbidden' }]);
    expect(operator.frames.filter((frame) => frame.type === 'ack')).toHaveLength(1);
  });
});

describe('REST ingest API key', () => {
  it('answers 401 with an error body without a key or with a wrong key, 202 with the local key', async () => {
    const reading = { vehicleId: 'k1', data: { speed: 1 } };
    const missing = await postJson(platform.endpoints.http, '/readings', reading, { 'x-api-key': '' });
    const wrong = await postJson(platform.endpoints.http, '/readings', reading, { 'x-api-key': 'guess' });
    for (const response of [missing, wrong]) {
      expect(response.status).toBe(401);
      expect(ErrorBodySchema.parse(response.body).error.code).toBe('Unauthorized');
    }
    expect((await postJson(platform.endpoints.http, '/readings', reading)).status).toBe(202);
  });
});
