/**
 * Which template constructs the local runtime runs, and which it knowingly leaves to AWS alone.
 * `npm run validate:template` (scripts/validate-template.ts) rejects any resource or event source
 * type in neither list, so adding one to template.yaml is a decision for the local half too.
 */

/** Resource types the local runtime reads and runs, with the part that runs them. */
export const LOCAL_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  'AWS::Serverless::Function': 'local/lambda (in-process, Lambda semantics)',
  'AWS::Serverless::HttpApi': 'local/gateway/http-api.ts (routes from the functions’ HttpApi events)',
  'AWS::DynamoDB::Table': 'DynamoDB Local (local/emulators/create-tables.ts)',
  'AWS::Kinesis::Stream': 'kinesalite (local/services/kinesis-service.ts)',
  'AWS::SQS::Queue': 'fauxqs (local/services/fauxqs-service.ts)',
  'AWS::SNS::Topic': 'fauxqs (local/services/fauxqs-service.ts)',
  'AWS::SNS::Subscription': 'fauxqs (local/services/fauxqs-service.ts)',
  'AWS::S3::Bucket': 'fauxqs, notifications raised by local/event-sources/s3-notifications.ts',
  'AWS::IoT::TopicRule': 'aedes + local/event-sources/iot-rules.ts (documented SQL subset)',
  'AWS::ApiGatewayV2::Api': 'local/gateway/websocket-gateway.ts (the WEBSOCKET API)',
  'AWS::ApiGatewayV2::Stage': 'local/gateway/websocket-gateway.ts (stage of the @connections URL)',
  'AWS::ApiGatewayV2::Route': 'local/gateway/websocket-gateway.ts (route selection)',
  'AWS::ApiGatewayV2::Integration': 'local/gateway/websocket-gateway.ts (route → function)',
  'AWS::ApiGatewayV2::Authorizer': 'local/gateway/websocket-gateway.ts ($connect REQUEST authorizer)',
};

/** Resource types deployed on AWS only, each with why the local runtime does without it. */
export const NOT_RUN_LOCALLY: Readonly<Record<string, string>> = {
  'AWS::CloudFront::Distribution': 'the web app is served by the local static file server',
  'AWS::CloudFront::OriginAccessControl': 'the web app is served by the local static file server',
  'AWS::IAM::Role': 'no IAM locally: every local component trusts every caller',
  'AWS::Lambda::Permission': 'functions are invoked in-process, with no resource policy',
  'AWS::SQS::QueuePolicy': 'no resource policies locally: fauxqs accepts every sender',
  'AWS::S3::BucketPolicy': 'no resource policies locally: fauxqs accepts every reader',
  'AWS::IoT::Policy': 'aedes accepts every MQTT client; device authorisation is IoT Core’s',
  'AWS::Logs::LogGroup': 'functions log to the local runtime’s output',
};

/** SAM function event source types local/template/load-template.ts turns into local event sources. */
export const LOCAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'DynamoDB',
  'Kinesis',
  'SQS',
  'S3',
  'HttpApi',
]);

/** SAM event source types deployed on AWS only, each with why (none today: every event the template uses runs). */
export const EVENT_TYPES_NOT_RUN_LOCALLY: Readonly<Record<string, string>> = {};
