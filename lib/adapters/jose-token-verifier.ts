import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type AccessClaims, claimsFromTokenPayload, type TokenVerifier } from '#core/authorise.ts';
import { DependencyError, UnauthorizedError } from '#core/errors.ts';

/** Seconds of clock skew tolerated on `exp`/`nbf`/`iat`. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Issuer and audience of the dev tokens `rtp token` mints with the local secret. */
export const LOCAL_TOKEN_ISSUER = 'rtp-local';
export const LOCAL_TOKEN_AUDIENCE = 'rtp-local';

/**
 * Verifies JWTs with `jose`. The algorithm is pinned per key kind (RS256 for a JWKS, HS256 for a
 * shared secret), so `alg:none` and RS/HS confusion are refused by construction; issuer, audience,
 * `exp` and `sub` are required.
 */
export class JoseTokenVerifier implements TokenVerifier {
  private constructor(
    private readonly key: JWTVerifyGetKey | Uint8Array,
    private readonly options: { issuer: string; audience: string | string[]; algorithm: 'RS256' | 'HS256' },
  ) {}

  /**
   * AWS: an OIDC issuer's (e.g. Cognito's) JWKS, fetched and cached by `jose`, RS256 only. A JWKS
   * that cannot be fetched or read (unreachable, timeout, not 200, not a key set) is the issuer's
   * outage, not the caller's fault: it fails with DependencyError, never as an invalid token.
   */
  static fromJwks(input: { jwksUrl: string; issuer: string; audience: string }): JoseTokenVerifier {
    const remote = createRemoteJWKSet(new URL(input.jwksUrl));
    const getKey: JWTVerifyGetKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        // The set was read but holds no key for this token: the token's fault (401).
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
          throw error;
        throw new DependencyError(`could not read the JWKS at ${input.jwksUrl}`, { cause: error });
      }
    };
    return new JoseTokenVerifier(getKey, {
      issuer: input.issuer,
      audience: input.audience,
      algorithm: 'RS256',
    });
  }

  /**
   * Local: a shared HS256 secret from config (the one `rtp token` signs with). An empty issuer or
   * audience (the template's defaults) means the dev tokens' own.
   */
  static fromSecret(input: {
    secret: string;
    issuer?: string;
    audience?: string | readonly string[];
  }): JoseTokenVerifier {
    const audience = ([] as string[]).concat(input.audience ?? []).filter((value) => value !== '');
    return new JoseTokenVerifier(new TextEncoder().encode(input.secret), {
      issuer: input.issuer || LOCAL_TOKEN_ISSUER,
      audience: audience.length > 0 ? audience : LOCAL_TOKEN_AUDIENCE,
      algorithm: 'HS256',
    });
  }

  async verify(token: string): Promise<AccessClaims> {
    return claimsFromTokenPayload(await this.verifyPayload(token));
  }

  /**
   * The verified payload, every claim as signed (what an HTTP API's JWT authorizer passes on).
   * @throws UnauthorizedError for a token to refuse; DependencyError when the JWKS cannot be fetched.
   */
  async verifyPayload(token: string): Promise<Record<string, unknown>> {
    if (token.length === 0 || token.length > 8192)
      throw new UnauthorizedError('token is missing or too long');
    try {
      const options = {
        algorithms: [this.options.algorithm],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      };
      // Two calls rather than a union argument: jose types the key kinds as separate overloads.
      const result =
        this.key instanceof Uint8Array
          ? await jwtVerify(token, this.key, options)
          : await jwtVerify(token, this.key, options);
      return result.payload;
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new UnauthorizedError(`invalid token (${typeof code === 'string' ? code : 'malformed'})`, {
        cause: error,
      });
    }
  }
}
