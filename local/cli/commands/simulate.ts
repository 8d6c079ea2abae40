import type { LocalEnv } from '../local-config.ts';
import { kinesisProducer } from './kinesis-producer.ts';
import { mqttProducer } from './mqtt-producer.ts';
import { fetchHealth, postReadings } from './platform-client.ts';

interface SimulateOptions {
  vehicles: number;
  /** Readings per second, all vehicles together. */
  rate: number;
  /** 0: until Ctrl-C. */
  seconds: number;
  via: string;
}

/** Kilometres per degree of latitude (and of longitude at the equator). */
const KM_PER_DEGREE = 111.32;

/** `rtp simulate`: vehicles driving around, posting telemetry at a steady total rate, with a live progress line. */
export async function runSimulate(env: LocalEnv, options: SimulateOptions): Promise<void> {
  if (!(options.vehicles >= 1 && options.rate > 0)) throw new Error('--vehicles and --rate must be positive');
  if (options.via !== 'rest' && options.via !== 'kinesis' && options.via !== 'mqtt') {
    throw new Error(`--via ${options.via} is not available; use --via rest, mqtt or kinesis`);
  }
  const health = await fetchHealth(env.RTP_URL, env.RTP_TOKEN);
  const keyAttribute = health.resources.realTimeItemKey;
  const producer =
    options.via === 'kinesis'
      ? kinesisProducer(health, keyAttribute)
      : options.via === 'mqtt'
        ? await mqttProducer(health, keyAttribute)
        : undefined;
  const vehicles = Array.from({ length: options.vehicles }, (_, i) => ({
    id: String(i + 1),
    lat: 40.4 + Math.random() / 10,
    lon: -3.7 + Math.random() / 10,
    speed: 30 + Math.random() * 40,
    heading: Math.random() * 360,
    fuel: 1,
    movedAt: Date.now(),
  }));
  const stats = { sent: 0, failed: 0, started: Date.now() };
  let stopped = false;
  process.on('SIGINT', () => {
    stopped = true;
  });
  const progress = setInterval(() => {
    const elapsed = (Date.now() - stats.started) / 1000;
    process.stderr.write(
      `\r${stats.sent} readings sent, ${stats.failed} failed, ${(stats.sent / elapsed).toFixed(0)}/s   `,
    );
  }, 500);
  // Readings go out in ticks of 100 ms, as one batch per tick.
  const perTick = Math.max(1, Math.round(options.rate / 10));
  let next = 0;
  while (!stopped && (options.seconds === 0 || Date.now() - stats.started < options.seconds * 1000)) {
    const tickStart = Date.now();
    const readings = Array.from({ length: perTick }, () => {
      const vehicle = vehicles[next++ % vehicles.length] as (typeof vehicles)[number];
      vehicle.heading = (vehicle.heading + (Math.random() - 0.5) * 20 + 360) % 360;
      vehicle.speed = Math.max(0, Math.min(130, vehicle.speed + (Math.random() - 0.5) * 6));
      // Driven distance at `speed` km/h since the vehicle's last reading, whatever the rate, so the
      // dashboard's map shows believable trails.
      const degrees = (vehicle.speed * (Date.now() - vehicle.movedAt)) / 3_600_000 / KM_PER_DEGREE;
      vehicle.movedAt = Date.now();
      vehicle.lat += Math.cos((vehicle.heading * Math.PI) / 180) * degrees;
      vehicle.lon +=
        (Math.sin((vehicle.heading * Math.PI) / 180) * degrees) / Math.cos((vehicle.lat * Math.PI) / 180);
      vehicle.fuel = Math.max(0, vehicle.fuel - 0.00005);
      return {
        [keyAttribute]: vehicle.id,
        ts: Date.now(),
        data: {
          lat: Number(vehicle.lat.toFixed(6)),
          lon: Number(vehicle.lon.toFixed(6)),
          speed: Number(vehicle.speed.toFixed(1)),
          heading: Math.round(vehicle.heading),
          fuel: Number(vehicle.fuel.toFixed(4)),
        },
      };
    });
    try {
      await (producer ? producer.send(readings) : postReadings(env.RTP_URL, { readings }, env.RTP_API_KEY));
      stats.sent += readings.length;
    } catch (error) {
      stats.failed += readings.length;
      process.stderr.write(`\n${(error as Error).message}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tickStart))));
  }
  clearInterval(progress);
  await producer?.close();
  process.stderr.write(`\ndone: ${stats.sent} sent, ${stats.failed} failed\n`);
}
