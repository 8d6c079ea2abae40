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
  'AWS::ApiGatewayV2::Api':
    'local/gateway/websocket-gateway.ts and http-api.ts (the WEBSOCKET and HTTP APIs)',
  'AWS::ApiGatewayV2::Stage': 'local/gateway (stage of the @connections URL and of HTTP paths)',
  'AWS::ApiGatewayV2::Route': 'local/gateway (route selection)',
  'AWS::ApiGatewayV2::Integration': 'local/gateway (route → function)',
  'AWS::ApiGatewayV2::Authorizer': 'local/gateway ($connect REQUEST authorizer, HTTP JWT authorizer)',
  'AWS::CloudFront::ResponseHeadersPolicy':
    'local/gateway/security-headers.ts (the same headers on the web app)',
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

/** SAM event source types deployed on AWS only, each with why. */
export const EVENT_TYPES_NOT_RUN_LOCALLY: Readonly<Record<string, string>> = {
  Schedule:
    'the expiry sweeper: the local WebSocket gateway closes each connection at its token’s exp itself',
};
