import { type AccessClaims, claimsFromJwtAuthorizer, OPEN_ACCESS } from '#core/authorise.ts';
import { UnauthorizedError } from '#core/errors.ts';

/**
 * Who calls an HTTP API route: everyone may do everything with `AUTH_MODE=none`; with `jwt`, the
 * claims the route's JWT authorizer passed (`requestContext.authorizer.jwt.claims`).
 * @throws UnauthorizedError with `jwt` when no authorizer ran (a route wired without one stays closed).
 */
export function httpCallerClaims(authMode: 'jwt' | 'none', requestContext: object): AccessClaims {
  if (authMode === 'none') return OPEN_ACCESS;
  // aws-lambda types the JWT authorizer's context on a separate event type.
  const claims = claimsFromJwtAuthorizer((requestContext as { authorizer?: unknown }).authorizer);
  if (!claims) throw new UnauthorizedError('missing or invalid bearer token (Authorization)');
  return claims;
}
