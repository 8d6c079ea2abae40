import type { AddressInfo } from 'node:net';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import WebSocket, { WebSocketServer } from 'ws';
import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { createManagementApiClient } from '#adapters/apigw-management-client.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import { createLimiter } from '#core/limiter.ts';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { type FunctionCpuMeter, nowMs, sleep } from '../lib/harness.ts';
import type { LoadClient } from '../lib/load-client-handle.ts';
import type { Collected } from '../lib/load-protocol.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { cpuMsSince, round } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';

export interface FanoutOptions {
  subscribers: number;
  burst: number;
  /** PostToConnection calls in flight (the function's FANOUT_CONCURRENCY). */
  concurrency: number;
  /** Whether the functions post through the in-process @connections transport. */
  inProcess: boolean;
}

interface Measured {
  frames: number;
  framesPerSecond: number;
  cpuMsPer1000Frames: number;
}

const KEY = 'fanout-1';

function rateOf(collected: Collected): number {
  const windowMs = Math.max(1, collected.lastFrameAt - collected.firstFrameAt);
  return (collected.framesReceived * 1000) / windowMs;
}

/**
 * Scenario 3: one key, many subscribers, a burst of updates. The pipeline's fan-out is measured
 * beside (a) one PostToConnection SDK call per frame in a tight loop over the same transport — the
 * floor, as API Gateway has no broadcast — and (b) a plain `ws` broadcast of the same frames.
 */
export async function runFanout(
  platform: Platform,
  client: LoadClient,
  meter: FunctionCpuMeter,
  options: FanoutOptions,
) {
  const keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
  const expected = options.subscribers * options.burst;
  const connected = await client.connect(
    platform.endpoints.websocket,
    [KEY],
    options.subscribers,
    keyAttribute,
    64,
  );
  if (connected !== options.subscribers) throw new Error(`only ${connected} subscribers connected`);

  let ts = Date.now();
  const post = async (seq: number) => {
    ts = Math.max(Date.now(), ts + 1);
    const response = await fetch(`${platform.endpoints.http}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': LOCAL_API_KEY },
      body: JSON.stringify({ [keyAttribute]: KEY, channel: 'telemetry', ts, data: { sentAt: nowMs(), seq } }),
    });
    if (response.status !== 202) throw new Error(`POST /readings answered ${response.status}`);
  };

  // Warm-up update: first query of the key, first posts.
  await client.reset();
  await post(0);
  await client.collect({ expectedFrames: options.subscribers, quietMs: 2_000, timeoutMs: 20_000 });

  // --- the pipeline: REST → DynamoDB → stream → stream-fanout → @connections → ws
  await client.reset();
  meter.reset();
  const burstStart = nowMs();
  for (let seq = 1; seq <= options.burst; seq += 1) await post(seq);
  const pipeline = await client.collect({ expectedFrames: expected, quietMs: 2_000, timeoutMs: 60_000 });
  const firstVersion = pipeline.versions.sort((a, b) => a.version - b.version)[0];
  const allHoldMs =
    firstVersion && firstVersion.count >= options.subscribers ? firstVersion.lastAt - burstStart : Number.NaN;
  const fanout: Measured & {
    allSubscribersHoldFirstUpdateMs: number;
    invocations: number;
    complete: boolean;
  } = {
    frames: pipeline.framesReceived,
    framesPerSecond: round(rateOf(pipeline), 0),
    cpuMsPer1000Frames: round((meter.cpuMs * 1000) / Math.max(1, pipeline.framesReceived), 1),
    allSubscribersHoldFirstUpdateMs: round(allHoldMs, 0),
    invocations: meter.invocations,
    complete: pipeline.framesReceived === expected,
  };

  // --- (a) the SDK floor: one PostToConnection per frame, same transport, same concurrency
  const store = new DynamoConnectionStore(
    createDocumentClient(new DynamoDBClient({ endpoint: platform.endpoints.dynamodb })),
    platform.resources.connectionsTable ?? `${platform.resources.stackName}-WebSocketConnectionManager`,
  );
  const queryStart = performance.now();
  const connectionIds = (await store.listSubscribers(KEY)).map((s) => s.connectionId);
  const subscriberQueryMs = round(performance.now() - queryStart, 0);
  const management = createManagementApiClient(platform.endpoints.connections);
  const limit = createLimiter(options.concurrency);
  const frameOf = (version: number) =>
    JSON.stringify({
      type: 'item',
      key: KEY,
      channel: 'telemetry',
      version,
      ts: Date.now(),
      data: { seq: version },
    });
  await client.reset();
  let cpuSince = process.cpuUsage();
  for (let version = 1; version <= options.burst; version += 1) {
    const data = frameOf(version);
    await Promise.all(
      connectionIds.map((id) =>
        limit(() => management.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))),
      ),
    );
  }
  const sdkCpuMs = cpuMsSince(cpuSince);
  const sdk = await client.collect({ expectedFrames: expected, quietMs: 1_000, timeoutMs: 30_000 });
  management.destroy();
  const ceiling: Measured = {
    frames: sdk.framesReceived,
    framesPerSecond: round(rateOf(sdk), 0),
    cpuMsPer1000Frames: round((sdkCpuMs * 1000) / Math.max(1, sdk.framesReceived), 1),
  };

  // --- diagnostic: the core fan-out batch over the same adapters, without the Lambda wrapper
  await client.reset();
  const core = createManagementApiClient(platform.endpoints.connections);
  cpuSince = process.cpuUsage();
  const batch = startFanoutBatch(
    { connections: store, publisher: new ApiGatewayConnectionPublisher(core) },
    { concurrency: options.concurrency },
  );
  await Promise.all(
    Array.from({ length: options.burst }, (_, i) =>
      batch.deliver({
        key: KEY,
        frame: {
          type: 'item',
          key: KEY,
          channel: 'telemetry',
          version: i + 1,
          ts: Date.now(),
          data: { seq: i + 1 },
        },
      }),
    ),
  );
  const coreCpuMs = cpuMsSince(cpuSince);
  const coreCollected = await client.collect({ expectedFrames: expected, quietMs: 1_000, timeoutMs: 30_000 });
  core.destroy();
  const coreBatch: Measured = {
    frames: coreCollected.framesReceived,
    framesPerSecond: round(rateOf(coreCollected), 0),
    cpuMsPer1000Frames: round((coreCpuMs * 1000) / Math.max(1, coreCollected.framesReceived), 1),
  };

  // --- (b) the physical reference: a plain ws server broadcasting the same frames
  await client.close();
  await sleep(500);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await client.connect(url, [KEY], options.subscribers, keyAttribute, 64);
  await client.reset();
  cpuSince = process.cpuUsage();
  for (let version = 1; version <= options.burst; version += 1) {
    const data = frameOf(version);
    for (const socket of server.clients) if (socket.readyState === WebSocket.OPEN) socket.send(data);
    // Let the event loop flush between frames, as the pipeline does between changes.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const wsCpuMs = cpuMsSince(cpuSince);
  const plain = await client.collect({ expectedFrames: expected, quietMs: 1_000, timeoutMs: 30_000 });
  await client.close();
  for (const socket of server.clients) socket.terminate();
  await new Promise((resolve) => server.close(resolve));
  const broadcast: Measured = {
    frames: plain.framesReceived,
    framesPerSecond: round(rateOf(plain), 0),
    cpuMsPer1000Frames: round((wsCpuMs * 1000) / Math.max(1, plain.framesReceived), 1),
  };

  const ratios = {
    fanoutVsSdkCeiling: round(fanout.framesPerSecond / ceiling.framesPerSecond, 2),
    fanoutVsWsBroadcast: round(fanout.framesPerSecond / broadcast.framesPerSecond, 3),
    sdkCeilingVsWsBroadcast: round(ceiling.framesPerSecond / broadcast.framesPerSecond, 3),
  };
  const transport = options.inProcess ? 'in-process @connections' : 'HTTP @connections';
  const row = (path: string, measured: Measured) => ({
    path,
    frames: measured.frames,
    framesPerSecond: measured.framesPerSecond,
    cpuMsPer1000Frames: measured.cpuMsPer1000Frames,
  });
  printTable(
    `3. Fan-out: 1 key × ${options.subscribers} subscribers, burst of ${options.burst} updates (${transport})`,
    [
      row('pipeline (stream-fanout)', fanout),
      row('(a) PostToConnection loop', ceiling),
      row('core batch, no Lambda wrapper', coreBatch),
      row('(b) plain ws broadcast', broadcast),
    ],
  );
  console.log(
    `   fan-out / SDK ceiling = ${ratios.fanoutVsSdkCeiling} (target ≥ 0.8); fan-out / ws broadcast = ${ratios.fanoutVsWsBroadcast}; ` +
      `all ${options.subscribers} hold the first update after ${fanout.allSubscribersHoldFirstUpdateMs} ms (target ≤ 1000); ` +
      `GSI query of the ${options.subscribers} subscribers: ${subscriberQueryMs} ms; ${fanout.invocations} invocations`,
  );
  const svg = barChart({
    title: `Fan-out: 1 key × ${options.subscribers} subscribers`,
    subtitle: `frames/s delivered, ${transport}; fan-out/ceiling ${ratios.fanoutVsSdkCeiling}`,
    unit: 'frames/s',
    bars: [
      { label: 'pipeline fan-out', value: fanout.framesPerSecond },
      { label: '(a) 1 SDK call/frame', value: ceiling.framesPerSecond },
      { label: '(b) plain ws broadcast', value: broadcast.framesPerSecond },
    ],
    target: { value: ceiling.framesPerSecond * 0.8, label: '0.8 × SDK ceiling' },
  });
  const result = {
    scenario: 'fanout',
    options,
    transport,
    fanout,
    ceiling,
    coreBatch,
    broadcast,
    ratios,
    subscriberQueryMs,
  };
  writeResult('fanout', result, svg);
  return result;
}
