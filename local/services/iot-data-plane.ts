import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '#local/gateway/request-context.ts';

/** IoT Core's limit for one message payload: 128 KB. */
export const MAX_IOT_PAYLOAD_BYTES = 128 * 1024;
/** IoT Core allows at most 7 slashes (8 levels) in a topic name. */
const MAX_TOPIC_LEVELS = 8;
const MAX_TOPIC_BYTES = 256;

/** A message the data plane accepted, for the broker. */
export interface DataPlaneMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * The AWS IoT data plane `Publish` API (`POST /topics/{topic}?qos=0|1&retain=`), answering like
 * AWS: 200 `{}`; errors as JSON `{"message"}` with `x-amzn-errortype` (InvalidRequestException 400,
 * ForbiddenException 403 for reserved `$` topics, MethodNotAllowedException 405,
 * RequestEntityTooLargeException 413), so `@aws-sdk/client-iot-data-plane` maps them to its
 * exception classes. Requests are not signature-checked.
 */
export function createDataPlaneHandler(
  publish: (message: DataPlaneMessage) => Promise<void>,
  onError: (error: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res, publish).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) sendError(res, 503, 'ServiceUnavailableException', 'publish failed; try again');
    });
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  publish: (message: DataPlaneMessage) => Promise<void>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return sendError(res, 405, 'MethodNotAllowedException', `${req.method} is not allowed on /topics`);
  }
  let topic: string;
  try {
    topic = decodeURIComponent(url.pathname.slice('/topics/'.length));
  } catch {
    return sendError(res, 400, 'InvalidRequestException', 'the topic is not valid URL encoding');
  }
  const invalid = topicProblem(topic);
  if (invalid) return sendError(res, 400, 'InvalidRequestException', invalid);
  if (topic.startsWith('$')) {
    return sendError(
      res,
      403,
      'ForbiddenException',
      `publishing to the reserved topic ${topic} is not allowed`,
    );
  }
  const qosText = url.searchParams.get('qos') ?? '0';
  if (qosText !== '0' && qosText !== '1') {
    return sendError(res, 400, 'InvalidRequestException', `qos must be 0 or 1, not ${qosText}`);
  }
  const body = await readBody(req, MAX_IOT_PAYLOAD_BYTES);
  if (body === undefined) {
    res.setHeader('connection', 'close');
    return sendError(
      res,
      413,
      'RequestEntityTooLargeException',
      `the payload exceeds ${MAX_IOT_PAYLOAD_BYTES} bytes`,
    );
  }
  await publish({
    topic,
    payload: body,
    qos: qosText === '1' ? 1 : 0,
    retain: url.searchParams.get('retain') === 'true',
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{}');
}

function topicProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'the topic is empty';
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return `the topic exceeds ${MAX_TOPIC_BYTES} bytes`;
  if (topic.includes('+') || topic.includes('#')) return `the topic ${topic} contains a wildcard (+ or #)`;
  if (topic.split('/').length > MAX_TOPIC_LEVELS)
    return `the topic ${topic} has more than ${MAX_TOPIC_LEVELS} levels`;
  if (topic.includes('\u0000')) return 'the topic contains a NUL character';
  return undefined;
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
}
