import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Aedes } from 'aedes';
import { IotRuleEngine, loadTopicRules, type TopicRuleModel } from '#local/event-sources/iot-rules.ts';
import { createDataPlaneHandler, type DataPlaneMessage, MAX_IOT_PAYLOAD_BYTES } from './iot-data-plane.ts';
import type { LocalService, ServiceAttached, ServiceStarted } from './local-service.ts';

const UNACCEPTABLE_PROTOCOL_CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x01]);

/**
 * AWS IoT Core on this machine:
 * - an embedded `aedes` MQTT broker (MQTT 3.1.1 only, like IoT Core's v3 support; no TLS, no auth,
 *   device policies are not enforced) on 127.0.0.1, endpoint `mqtt` in /health;
 * - the template's topic rules (`AWS::IoT::TopicRule`) evaluated for every message, the supported
 *   SQL subset and actions being those of `local/event-sources/iot-rules.ts` — anything else stops
 *   the platform at start with the rule's name;
 * - the IoT data plane `Publish` API on the WebSocket gateway's port (`POST /topics/{topic}`),
 *   bridged into the broker; endpoint `iotData` in /health, and `AWS_ENDPOINT_URL_IOT_DATA_PLANE` for
 *   the functions' `IoTDataPlaneClient`.
 */
export function iotCoreService(port: number): LocalService {
  let broker: Aedes | undefined;
  let server: Server | undefined;
  let rules: TopicRuleModel[] = [];
  let engine: IotRuleEngine | undefined;
  let sqs: SQSClient | undefined;
  const counters = { messagesIn: 0, dataPlanePublishes: 0, dataPlaneErrors: 0 };

  const publishToBroker = (message: DataPlaneMessage) =>
    new Promise<void>((resolve, reject) => {
      if (!broker || broker.closed) return reject(new Error('the MQTT broker is stopped'));
      broker.publish(
        {
          cmd: 'publish',
          topic: message.topic,
          payload: message.payload,
          qos: message.qos,
          retain: message.retain,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });

  return {
    name: 'iot-core',

    async start({ template }): Promise<ServiceStarted> {
      // Refused before anything listens: a rule the runtime cannot evaluate must not be skipped silently.
      rules = loadTopicRules(template.resources);
      broker = await Aedes.createBroker({
        // IoT Core's message size limit: a larger publish is refused and the client disconnected.
        authorizePublish: (_client, packet, callback) =>
          callback(
            packet.payload.length > MAX_IOT_PAYLOAD_BYTES
              ? new Error(`payload of ${packet.payload.length} bytes exceeds ${MAX_IOT_PAYLOAD_BYTES}`)
              : null,
          ),
        // IoT Core speaks MQTT 3.1.1 (and 5, which aedes refuses itself); 3.1 never worked there.
        preConnect: (client, packet, callback) => {
          if (packet.protocolVersion === 4) return callback(null, true);
          // CONNACK "unacceptable protocol version" (return code 1), so the client fails at once
          // instead of waiting for a CONNACK that never comes.
          client.conn.end(UNACCEPTABLE_PROTOCOL_CONNACK);
          callback(
            new Error(`MQTT protocol version ${packet.protocolVersion} is not supported; use 3.1.1`),
            false,
          );
        },
      });
      broker.on('publish', (packet, client) => {
        if (packet.topic.startsWith('$SYS/')) return;
        if (client) counters.messagesIn += 1;
        engine?.handle(packet.topic, Buffer.from(packet.payload), Date.now());
      });
      const mqtt = createServer((socket) => broker?.handle(socket));
      server = mqtt;
      try {
        await new Promise<void>((resolve, reject) => {
          mqtt.once('error', reject);
          mqtt.listen(port, '127.0.0.1', () => {
            mqtt.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        // The platform stops only services that started; this one cleans up after itself.
        await new Promise<void>((resolve) => broker?.close(() => resolve()));
        throw new Error(`MQTT broker cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
      }
      const bound = (mqtt.address() as AddressInfo).port;
      return { endpoints: { mqtt: `mqtt://127.0.0.1:${bound}` } };
    },

    async attach({ template, invoker, gateway, addGatewayRoute, log }): Promise<ServiceAttached> {
      engine = new IotRuleEngine({
        rules,
        template,
        invoker,
        log,
        sendToQueue: async (queueLogicalId, body) => {
          const queueUrl = String(template.resolve({ Ref: queueLogicalId }));
          // Unresolved: no local SQS runs (the default placeholder is `local:<LogicalId>`).
          if (queueUrl.startsWith('local:')) throw new Error('no local SQS service runs');
          // Created on first use: the SQS service's endpoint is in the SDK's environment by then.
          sqs ??= new SQSClient({});
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
        },
      });
      addGatewayRoute(
        '/topics/',
        createDataPlaneHandler(
          async (message) => {
            await publishToBroker(message);
            counters.dataPlanePublishes += 1;
          },
          (error) => {
            counters.dataPlaneErrors += 1;
            log(`iot data plane: ${(error as Error).message}`);
          },
        ),
      );
      const iotData = `http://127.0.0.1:${gateway.port}`;
      // The SDK reads AWS_ENDPOINT_URL_* on a client's first call, so functions loaded before this
      // still publish here.
      return { endpoints: { iotData }, sdkEnvironment: { AWS_ENDPOINT_URL_IOT_DATA_PLANE: iotData } };
    },

    stats() {
      return {
        connectedClients: broker?.connectedClients ?? 0,
        rules: rules.map((rule) => rule.logicalId),
        ...counters,
        ...engine?.stats,
      };
    },

    async stop() {
      await engine?.stop();
      sqs?.destroy();
      sqs = undefined;
      // The broker first: it closes the client sockets, which the server waits for.
      await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      engine = undefined;
      broker = undefined;
      server = undefined;
    },
  };
}
