import { connectAsync, type MqttClient } from 'mqtt';
import { telemetryTopicFor } from '#contracts/vehicle-telemetry.ts';
import type { Health } from './platform-client.ts';

/** Publishes readings as vehicle telemetry over MQTT; `close()` disconnects. */
interface MqttProducer {
  /**
   * Publishes each reading to `vehicles/{key}/telemetry` (QoS 1: resolves once the broker has
   * acknowledged every one) as the flat device payload `{ts, lat, lon, speed, …}`.
   */
  send(readings: Array<Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

/**
 * One MQTT 3.1.1 client for this process, connected to the broker /health names (`mqtt`).
 * @throws Error when the platform runs without IoT Core or the broker refuses the connection.
 */
export async function mqttProducer(health: Health, keyAttribute: string): Promise<MqttProducer> {
  const url = health.endpoints.mqtt;
  if (url === undefined)
    throw new Error(
      'the platform has no MQTT broker (no `mqtt` endpoint in /health; with AuthMode=jwt set RTP_TOKEN)',
    );
  const client: MqttClient = await connectAsync(url, {
    protocolVersion: 4,
    clientId: `rtp-simulate-${process.pid}`,
    reconnectPeriod: 1000,
  });
  return {
    send: async (readings) => {
      await Promise.all(
        readings.map((reading) => {
          const { ts, data } = reading as { ts?: number; data?: Record<string, unknown> };
          const topic = telemetryTopicFor(String(reading[keyAttribute]));
          return client.publishAsync(topic, JSON.stringify({ ts, ...data }), { qos: 1 });
        }),
      );
    },
    close: () => client.endAsync(),
  };
}
