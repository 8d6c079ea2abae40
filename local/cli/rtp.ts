import { parseArgs } from 'node:util';
import { REJECT_SOURCES, type RejectSource } from '#contracts/rejects.ts';
import { readLocalEnv } from './local-config.ts';

const USAGE = `rtp — the Realtime Platform on this machine

  rtp start                         bring the whole platform up (what \`npm start\` runs)
  rtp subscribe vehicleId=3 [...]   print the frames of one or more keys, like wscat (a batch
                                    frame as its inner frames; batch=false: one change per frame)
  rtp publish vehicleId=3 speed=42  post one reading over REST (numbers stay numbers)
  rtp simulate --vehicles N --rate R [--seconds S] [--via rest|mqtt|kinesis]
                                    drive N vehicles at R readings/s in total
  rtp rejects [--source mqtt,kinesis,queue,s3] [--limit 20]
                                    list the kept rejects per source, newest first (code, reason, bytes)
  rtp rejects --replay [--source mqtt,kinesis,queue] [--wait 30]
                                    send them back through their ingestor; prints applied / rejected again
  rtp token --sub alice --keys '3,4,room-*' [--ingest publish,bid] [--ttl 3600]
                                    print a dev JWT (HS256, local secret) for ?token=

Settings (environment): RTP_HTTP_PORT (3000), RTP_WS_PORT (3001), RTP_DYNAMODB_PORT (8000),
RTP_KINESIS_PORT (4567), RTP_SQS_PORT (4566: SQS, SNS and S3), RTP_MQTT_PORT (1883: IoT Core's
MQTT broker); 0 picks a free port,
RTP_DATA_DIR (unset: in memory), RTP_LOG_LEVEL (WARN), RTP_STACK_NAME (rtp-local),
RTP_URL (http://127.0.0.1:3000, where subscribe/publish/simulate find the platform),
RTP_AUTH_MODE (none: open WebSocket API; jwt: $connect needs ?token=), RTP_JWT_SECRET (local dev secret),
RTP_API_KEY (rtp-local-api-key: the x-api-key of POST /readings), RTP_TOKEN (token for rtp subscribe).`;

async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...rest] = argv;
  const env = readLocalEnv();
  switch (command) {
    case 'start': {
      const { runStart } = await import('./commands/start.ts');
      return runStart(env);
    }
    case 'subscribe': {
      const { runSubscribe } = await import('./commands/subscribe.ts');
      return runSubscribe(env, rest);
    }
    case 'publish': {
      const { runPublish } = await import('./commands/publish.ts');
      return runPublish(env, rest);
    }
    case 'simulate': {
      const { values } = parseArgs({
        args: rest,
        options: {
          vehicles: { type: 'string', default: '10' },
          rate: { type: 'string', default: '50' },
          seconds: { type: 'string', default: '0' },
          via: { type: 'string', default: 'rest' },
        },
      });
      const { runSimulate } = await import('./commands/simulate.ts');
      return runSimulate(env, {
        vehicles: Number(values.vehicles),
        rate: Number(values.rate),
        seconds: Number(values.seconds),
        via: String(values.via),
      });
    }
    case 'rejects': {
      const { values } = parseArgs({
        args: rest,
        options: {
          source: { type: 'string', default: Object.keys(REJECT_SOURCES).join(',') },
          replay: { type: 'boolean', default: false },
          limit: { type: 'string', default: '20' },
          wait: { type: 'string', default: '30' },
        },
      });
      const sources = String(values.source).split(',');
      const unknown = sources.filter((source) => !(source in REJECT_SOURCES));
      if (unknown.length > 0)
        throw new Error(`unknown source ${unknown.join(', ')}: use ${Object.keys(REJECT_SOURCES)}`);
      const { runRejects } = await import('./commands/rejects.ts');
      await runRejects(env, {
        sources: sources as RejectSource[],
        replay: values.replay === true,
        limit: Number(values.limit),
        waitSeconds: Number(values.wait),
      });
      return;
    }
    case 'token': {
      const { values } = parseArgs({
        args: rest,
        options: {
          sub: { type: 'string', default: '' },
          keys: { type: 'string', default: '' },
          ingest: { type: 'string', default: '' },
          ttl: { type: 'string', default: '3600' },
        },
      });
      const { runToken } = await import('./commands/token.ts');
      return runToken(env, {
        sub: String(values.sub),
        keys: String(values.keys),
        ingest: String(values.ingest),
        ttlSeconds: Number(values.ttl),
      });
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`rtp: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
