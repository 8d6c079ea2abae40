/**
 * The client side of the benchmarks, run as a child process so that its cost (opening sockets,
 * parsing frames, publishing) never counts against the platform process being measured.
 * Driven over IPC by {@link LoadClient} (bench/lib/load-client-handle.ts).
 */
import WebSocket from 'ws';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import type {
  ClientCommand,
  ClientReply,
  FanoutVersionStats,
  FloodResult,
  PublishResult,
} from './load-protocol.ts';

/** Wall-clock milliseconds with sub-millisecond resolution (same clock as the publisher). */
const nowMs = () => performance.timeOrigin + performance.now();

interface Subscriber {
  socket: WebSocket;
  key: string;
  /** seq numbers seen (telemetry readings carry `data.seq`). */
  seen: Set<number>;
}

const subscribers: Subscriber[] = [];
let latencies: number[] = [];
let framesReceived = 0;
let firstFrameAt = 0;
let lastFrameAt = 0;
/** Fan-out: per version, how many sockets hold it and when the last one got it. */
let versions = new Map<number, { count: number; firstAt: number; lastAt: number }>();

function reply(message: ClientReply): void {
  process.send?.(message);
}

function onFrame(subscriber: Subscriber, raw: WebSocket.RawData): void {
  const at = nowMs();
  if (firstFrameAt === 0) firstFrameAt = at;
  lastFrameAt = at;
  const message = JSON.parse(raw.toString()) as LoadFrame & { frames?: LoadFrame[] };
  // A batch frame counts as the changes it carries, each accounted like a frame of its own.
  const frames = message.type === 'batch' ? (message.frames ?? []) : [message];
  framesReceived += frames.length;
  for (const frame of frames) onChange(subscriber, frame, at);
}

interface LoadFrame {
  type?: string;
  version?: number;
  data?: { sentAt?: number; seq?: number };
}

function onChange(subscriber: Subscriber, frame: LoadFrame, at: number): void {
  // Item frames (the pipeline's and the reference broadcasts'); acks and snapshots are not timed.
  if (frame.type !== 'item') return;
  const sentAt = frame.data?.sentAt;
  if (typeof sentAt === 'number') latencies.push(at - sentAt);
  const seq = frame.data?.seq;
  if (typeof seq === 'number') subscriber.seen.add(seq);
  const version = typeof frame.version === 'number' ? frame.version : seq;
  if (typeof version === 'number') {
    const entry = versions.get(version);
    if (entry) {
      entry.count += 1;
      entry.lastAt = at;
    } else versions.set(version, { count: 1, firstAt: at, lastAt: at });
  }
}

async function connect(
  url: string,
  keys: string[],
  perKey: number,
  keyParam: string,
  parallel: number,
  everyKey = false,
) {
  const wanted: Array<{ key: string }> = [];
  for (const key of everyKey ? keys.slice(0, 1) : keys)
    for (let i = 0; i < perKey; i += 1) wanted.push({ key });
  let next = 0;
  const open = async () => {
    while (next < wanted.length) {
      const { key } = wanted[next++]!;
      const target = new URL(url);
      target.searchParams.set(keyParam, key);
      const socket = new WebSocket(target, { perMessageDeflate: false });
      const subscriber: Subscriber = { socket, key, seen: new Set() };
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      socket.on('message', (data) => onFrame(subscriber, data));
      socket.on('error', () => undefined);
      if (everyKey) await subscribeRest(socket, keys.slice(1));
      subscribers.push(subscriber);
    }
  };
  await Promise.all(Array.from({ length: parallel }, open));
}

/** Subscribes an open socket to `keys` and waits for every ack. */
async function subscribeRest(socket: WebSocket, keys: readonly string[]): Promise<void> {
  let acks = 0;
  await new Promise<void>((resolve) => {
    if (keys.length === 0) return resolve();
    const onAck = (raw: WebSocket.RawData) => {
      if ((JSON.parse(raw.toString()) as { type?: string }).type !== 'ack') return;
      acks += 1;
      if (acks === keys.length) {
        socket.off('message', onAck);
        resolve();
      }
    };
    socket.on('message', onAck);
    for (const key of keys) socket.send(JSON.stringify({ action: 'subscribe', key }));
  });
}

/**
 * Publishes `rate` readings/s for `durationMs`, round-robin over `keys`, one reading per request
 * (as a device does). `ts` is strictly increasing per key so that no reading is stale by design.
 */
async function publish(command: Extract<ClientCommand, { cmd: 'publish' }>): Promise<PublishResult> {
  const { keys, rate, durationMs, keyAttribute } = command;
  const sent: Record<string, number> = Object.fromEntries(keys.map((key) => [key, 0]));
  const lastTs = new Map<string, number>();
  let stale = 0;
  let errors = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const pending = new Set<Promise<void>>();
  const total = Math.round((rate * durationMs) / 1000);
  const start = nowMs();
  const mqttClient = command.transport === 'mqtt' ? await openMqtt(command.mqttUrl ?? '') : undefined;
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const key = keys[i % keys.length]!;
    const seq = (sent[key] ?? 0) + 1;
    sent[key] = seq;
    const ts = Math.max(Date.now(), (lastTs.get(key) ?? 0) + 1);
    lastTs.set(key, ts);
    const data = { sentAt: nowMs(), seq, speed: 40 + (i % 80), lat: 52.1, lon: 4.3 };
    if (mqttClient) {
      const topic = (command.mqttTopic ?? 'vehicles/{key}/telemetry').replace('{key}', key);
      // The IoT rule takes the vehicle id from the topic; the measurements are the payload itself.
      mqttClient.publish(topic, JSON.stringify({ ts, ...data }), { qos: 0 });
      continue;
    }
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const request = fetch(`${command.httpUrl}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': LOCAL_API_KEY },
      body: JSON.stringify({ [keyAttribute]: key, channel: 'telemetry', ts, data }),
    })
      .then(async (response) => {
        const body = (await response.json()) as { stale?: number };
        if (response.status !== 202) errors += 1;
        stale += body.stale ?? 0;
      })
      .catch(() => {
        errors += 1;
      })
      .finally(() => {
        inFlight -= 1;
        pending.delete(request);
      });
    pending.add(request);
  }
  await Promise.all([...pending]);
  mqttClient?.end();
  return { sent, stale, errors, publishMs: nowMs() - start, maxInFlight };
}

/**
 * Closed loop: each poster sends one batch (one reading per key of its slice, `ts` increasing per
 * batch) and sends the next as soon as the answer is in, for `durationMs`.
 */
async function flood(command: Extract<ClientCommand, { cmd: 'flood' }>): Promise<FloodResult> {
  const result: FloodResult = { accepted: 0, stale: 0, errors: 0, requests: 0, publishMs: 0 };
  const start = nowMs();
  let ts = Date.now();
  const poster = async (slice: string[]) => {
    while (nowMs() - start < command.durationMs) {
      ts = Math.max(Date.now(), ts + 1);
      const readings = slice.map((key, i) => ({
        [command.keyAttribute]: key,
        channel: 'telemetry',
        ts,
        data: { sentAt: nowMs(), seq: i },
      }));
      try {
        const response = await fetch(`${command.httpUrl}/readings`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(command.apiKey ? { 'x-api-key': command.apiKey } : {}),
          },
          body: JSON.stringify({ readings }),
        });
        const body = (await response.json()) as { accepted?: number; stale?: number };
        result.requests += 1;
        if (response.status !== 202) result.errors += 1;
        result.accepted += body.accepted ?? 0;
        result.stale += body.stale ?? 0;
      } catch {
        result.errors += 1;
      }
    }
  };
  const per = Math.ceil(command.keys.length / command.posters);
  await Promise.all(
    Array.from({ length: command.posters }, (_, p) => poster(command.keys.slice(p * per, (p + 1) * per))),
  );
  result.publishMs = nowMs() - start;
  return result;
}

async function openMqtt(url: string) {
  const { connectAsync } = await import('mqtt');
  return connectAsync(url, { protocolVersion: 4, clientId: `bench-${process.pid}` });
}

/** Waits until `expected` frames arrived or nothing arrived for `quietMs`. */
async function settle(expected: number, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (framesReceived < expected && Date.now() < deadline) {
    const last = lastFrameAt;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (last !== 0 && lastFrameAt === last && nowMs() - last > quietMs) break;
  }
}

/**
 * Per subscriber, the readings of its key it never saw: `missing` when no later reading of the key
 * reached it either (the newest state never came: lost), `superseded` when a later one did (a
 * batching subscriber gets only the newest change of an item per fan-out invocation, and a reading
 * refused as older than a stored one makes no frame).
 */
function unseenReadings(sent: Record<string, number>): { missing: number; superseded: number } {
  let missing = 0;
  let superseded = 0;
  for (const subscriber of subscribers) {
    const count = sent[subscriber.key] ?? 0;
    const newest = Math.max(0, ...subscriber.seen);
    for (let seq = 1; seq <= count; seq += 1) {
      if (subscriber.seen.has(seq)) continue;
      if (seq < newest) superseded += 1;
      else missing += 1;
    }
  }
  return { missing, superseded };
}

function reset(): void {
  latencies = [];
  framesReceived = 0;
  firstFrameAt = 0;
  lastFrameAt = 0;
  versions = new Map();
  for (const subscriber of subscribers) subscriber.seen.clear();
}

process.on('message', async (command: ClientCommand) => {
  try {
    switch (command.cmd) {
      case 'connect':
        await connect(
          command.url,
          command.keys,
          command.perKey,
          command.keyParam,
          command.parallel ?? 32,
          command.everyKey,
        );
        reply({ type: 'connected', count: subscribers.length });
        break;
      case 'reset':
        reset();
        reply({ type: 'ok' });
        break;
      case 'publish':
        reply({ type: 'published', result: await publish(command) });
        break;
      case 'flood':
        reply({ type: 'flooded', result: await flood(command) });
        break;
      case 'collect': {
        await settle(command.expectedFrames, command.quietMs, command.timeoutMs);
        const stats: FanoutVersionStats[] = [...versions.entries()].map(([version, entry]) => ({
          version,
          ...entry,
        }));
        reply({
          type: 'collected',
          latencies,
          framesReceived,
          firstFrameAt,
          lastFrameAt,
          ...(command.sent ? unseenReadings(command.sent) : { missing: 0, superseded: 0 }),
          versions: stats,
        });
        break;
      }
      case 'close':
        for (const subscriber of subscribers) subscriber.socket.terminate();
        subscribers.length = 0;
        reply({ type: 'ok' });
        break;
      case 'exit':
        process.exit(0);
    }
  } catch (error) {
    reply({ type: 'error', message: (error as Error).message });
  }
});
reply({ type: 'ready' });
