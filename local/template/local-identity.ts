/**
 * Who the local runtime is to the SDK and in every ARN, URL and resource name it makes: one account,
 * one region, one pair of credentials, and CloudFormation's way of naming what the template leaves
 * unnamed. Every local module, and the tests and bench that build the same names, take them from here.
 */

/** The account of every local ARN and queue URL (no real account: AWS's all-zero placeholder). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The region the local SDK clients sign for and the local ARNs name. */
export const LOCAL_REGION = 'us-east-1';

/** Credentials the emulators accept (DynamoDB Local with `-sharedDb` takes any). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The stack `npm start` runs as; it names the tables, queues, topics, buckets and streams. */
export const DEFAULT_STACK_NAME = 'rtp-local';

/** `<stack>-<LogicalId>`: the name CloudFormation gives a resource whose template declares none. */
export function stackResourceName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`;
}

/** `arn:aws:<service>:<region>:<local account>:<resource>`. */
export function localArn(service: string, resource: string, region: string = LOCAL_REGION): string {
  return `arn:aws:${service}:${region}:${LOCAL_ACCOUNT_ID}:${resource}`;
}

/** `RealTimeDataTable` → `realTimeDataTable`: a resource's key in /health's `resources`. */
export function healthResourceName(logicalId: string): string {
  return logicalId.charAt(0).toLowerCase() + logicalId.slice(1);
}
