import { fauxqsService } from './fauxqs-service.ts';
import { iotCoreService } from './iot-core-service.ts';
import { kinesisService } from './kinesis-service.ts';
import type { LocalService } from './local-service.ts';
import { salesSeedService } from './sales-seed.ts';

/**
 * The emulated services `npm start` runs besides DynamoDB Local and the gateways, in start order.
 * Each source of readings adds its service here.
 */
export function localServices(portOf: PortOf): LocalService[] {
  return [
    kinesisService(portOf('kinesis', 4567)),
    iotCoreService(portOf('mqtt', 1883)),
    // SQS, SNS and S3 share one port.
    fauxqsService(portOf('sqs', 4566)),
    // After fauxqs: puts sales.db into the bucket fauxqs created.
    salesSeedService(),
  ];
}

/** The port a service listens on: its name's setting, or `fallback`; 0 = a free port. */
type PortOf = (name: string, fallback: number) => number;
