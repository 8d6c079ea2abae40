import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Platform } from '#local/platform.ts';
import { CpuWindow } from '../lib/harness.ts';
import { printTable, writeResult } from '../lib/report.ts';

export interface S3ObjectsOptions {
  /** Size of the big object, MB (10^6 bytes). */
  megabytes: number;
  /** Size of the small object it is compared with, MB. */
  smallMegabytes: number;
  /** Bytes per NDJSON line (one reading each). */
  lineBytes: number;
  /** Keys the readings spread over (writes of different keys run side by side). */
  keys: number;
}

interface ObjectRun {
  object: string;
  megabytes: number;
  readings: number;
  functionSeconds: number;
  readingsPerSecond: number;
  megabytesPerSecond: number;
  rssGrowthMb: number;
  heapGrowthMb: number;
  /** Heap still reachable after a full collection, sampled every second: what the function holds. */
  liveHeapGrowthMb: number;
  nodeCpuPct: number;
  dynamoCpuPct: number;
}

const PART_BYTES = 8 * 1024 * 1024;
const MB = 1e6;

/**
 * Scenario 6: one big NDJSON object (200 MB by default) ingested by s3-objects through the local
 * runtime, beside a small one: throughput (readings/s, MB/s over the function's own run time) and
 * the process's peak memory above its level once the object is stored (RSS and heap used, sampled
 * every 50 ms, garbage included; the live heap after a full collection, every second). Flat memory shows as the same growth for both sizes. The object is uploaded in 8 MiB
 * multipart parts, so the bench never builds it whole; fauxqs then holds it (outside the growth).
 */
export async function runS3Objects(platform: Platform, options: S3ObjectsOptions) {
  const endpoints = platform.health().endpoints as Record<string, string>;
  const s3 = new S3Client({
    region: platform.template.region,
    endpoint: endpoints.s3,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const bucket = platform.resources.ingestBucket as string;
  const runs: ObjectRun[] = [];
  try {
    for (const [name, megabytes] of [
      ['small', options.smallMegabytes],
      ['big', options.megabytes],
    ] as const) {
      runs.push(await ingestOne(platform, s3, bucket, `ingest/bench-${name}.ndjson`, megabytes, options));
    }
  } finally {
    s3.destroy();
  }
  const [small, big] = runs as [ObjectRun, ObjectRun];
  const ratios = {
    sizeRatio: round(big.megabytes / small.megabytes),
    rssGrowthRatio: round(big.rssGrowthMb / Math.max(small.rssGrowthMb, 1)),
    heapGrowthRatio: round(big.heapGrowthMb / Math.max(small.heapGrowthMb, 1)),
    liveHeapGrowthRatio: round(big.liveHeapGrowthMb / Math.max(small.liveHeapGrowthMb, 1)),
    throughputRatio: round(big.readingsPerSecond / small.readingsPerSecond),
  };
  printTable(
    '6. S3 objects: a big NDJSON object beside a small one',
    runs as unknown as Record<string, number>[],
  );
  printTable('6. ratios (big / small)', [ratios]);
  const result = { options, runs, ratios };
  writeResult('s3-objects', result);
  return result;
}

async function ingestOne(
  platform: Platform,
  s3: S3Client,
  bucket: string,
  key: string,
  megabytes: number,
  options: S3ObjectsOptions,
): Promise<ObjectRun> {
  const notifications = () =>
    (platform.health().stats as { fauxqs: { s3Notifications: { delivered: number; failures: number } } })
      .fauxqs.s3Notifications;
  const functionMs = () =>
    (platform.health().stats as { functions?: Record<string, { totalMs: number }> }).functions
      ?.S3ObjectsFunction?.totalMs ?? 0;
  const before = { ...notifications() };
  const msBefore = functionMs();
  // The completed upload raises the notification at once; what grows after it is the function's.
  const readings = await uploadNdjson(s3, bucket, key, megabytes * MB, options);
  const base = process.memoryUsage();
  let peak = { rss: base.rss, heapUsed: base.heapUsed };
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed) };
  }, 50);
  const liveBase = liveHeap();
  let livePeak = liveBase;
  const liveSampler = setInterval(() => {
    livePeak = Math.max(livePeak, liveHeap());
  }, 1_000);
  const cpu = new CpuWindow();
  try {
    for (;;) {
      const now = notifications();
      if (now.failures > before.failures)
        throw new Error(`${key}: the function failed (see the platform log)`);
      if (now.delivered > before.delivered) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    clearInterval(sampler);
    clearInterval(liveSampler);
  }
  const seconds = (functionMs() - msBefore) / 1000;
  const load = cpu.read();
  return {
    object: key,
    megabytes: round(megabytes),
    readings,
    functionSeconds: round(seconds),
    readingsPerSecond: Math.round(readings / seconds),
    megabytesPerSecond: round(megabytes / seconds),
    rssGrowthMb: round((peak.rss - base.rss) / MB),
    heapGrowthMb: round((peak.heapUsed - base.heapUsed) / MB),
    liveHeapGrowthMb: round((livePeak - liveBase) / MB),
    nodeCpuPct: load.nodeCpuPct,
    dynamoCpuPct: load.dynamoCpuPct,
  };
}

/** Uploads `bytes` of NDJSON readings (one per line, `lineBytes` each) in parts; returns the reading count. */
async function uploadNdjson(
  s3: S3Client,
  bucket: string,
  key: string,
  bytes: number,
  options: S3ObjectsOptions,
): Promise<number> {
  const { UploadId: uploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
  );
  const base = JSON.stringify({ vehicleId: 'bench-00000', ts: 1_000_000_000_000, data: { seq: 0, pad: '' } });
  const pad = 'p'.repeat(Math.max(0, options.lineBytes - base.length - 1));
  const parts: Array<{ ETag: string; PartNumber: number }> = [];
  let readings = 0;
  let written = 0;
  while (written < bytes) {
    const lines: string[] = [];
    let partBytes = 0;
    while (partBytes < PART_BYTES && written + partBytes < bytes) {
      const line = `${JSON.stringify({
        vehicleId: `bench-${readings % options.keys}`,
        ts: 1_000_000_000_000 + readings,
        data: { seq: readings, pad },
      })}\n`;
      lines.push(line);
      partBytes += line.length;
      readings++;
    }
    const body = lines.join('');
    const partNumber = parts.length + 1;
    const { ETag: eTag } = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    parts.push({ ETag: eTag ?? '', PartNumber: partNumber });
    written += partBytes;
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  return readings;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const liveHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

const round = (value: number) => Math.round(value * 100) / 100;
