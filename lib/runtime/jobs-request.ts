import { jobCallerOf, submitJob } from '#core/jobs.ts';
import { type HttpCallerEvent, httpCallerClaims } from './http-caller.ts';
import { type HttpResult, jsonResponse } from './http-responses.ts';
import type { Powertools } from './powertools.ts';

/** What jobs-api submits with: its auth mode, key attribute and the caller's job limits. */
interface JobsApiSettings {
  AUTH_MODE: 'jwt' | 'none';
  REAL_TIME_ITEM_KEY: string;
  JOBS_IN_FLIGHT_PER_CALLER: number;
  JOBS_TTL_SECONDS: number;
}

/**
 * The step of jobs-api: `POST /jobs` submitted for the token's caller (in open mode, which has no
 * caller identity, the source IP stands in for it), counted as `JobsQueued`, answered 202.
 */
export function jobsRequestHandler(
  config: JobsApiSettings,
  ports: Parameters<typeof submitJob>[2],
  tools: Powertools,
): (event: HttpCallerEvent) => Promise<HttpResult> {
  return async (event) => {
    const claims = httpCallerClaims(config.AUTH_MODE, event.requestContext);
    const accepted = await submitJob(
      event.body,
      {
        claims,
        keyAttribute: config.REAL_TIME_ITEM_KEY,
        caller: jobCallerOf({
          sub: config.AUTH_MODE === 'jwt' ? claims.subject : undefined,
          sourceIp: event.requestContext.http.sourceIp,
        }),
        inFlightLimit: config.JOBS_IN_FLIGHT_PER_CALLER,
        ttlSeconds: config.JOBS_TTL_SECONDS,
      },
      ports,
    );
    tools.metrics.addMetric('JobsQueued', 'Count', 1);
    return jsonResponse(202, accepted);
  };
}
