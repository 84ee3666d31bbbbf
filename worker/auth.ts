/**
 * Bearer-token roles. The admin token opens the management API, the session
 * token opens session routes. Presenting one role's token on the other
 * role's route answers 403, so a caller learns it has the wrong token rather
 * than a bad one; anything else answers 401.
 */

import type { MiddlewareHandler } from "hono";
import { utf8 } from "../core/encoding.ts";
import { requireSecret, type SecretName, type WorkerConfig } from "./config.ts";
import { HttpError } from "./errors.ts";
import type { AppEnv } from "./log.ts";

export type Role = "admin" | "session";

const TOKEN_OF: Record<Role, SecretName> = { admin: "ADMIN_TOKEN", session: "SESSION_TOKEN" };
const OTHER_ROLE: Record<Role, Role> = { admin: "session", session: "admin" };

/**
 * Compares two strings in time that depends only on their digests' length:
 * both are hashed first, so unequal lengths do not return early.
 */
export async function tokensEqual(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", utf8(a)),
    crypto.subtle.digest("SHA-256", utf8(b)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, "unauthorized", message, {
    headers: { "WWW-Authenticate": 'Bearer realm="r2-skills"' },
  });
}

/** Middleware that admits only requests with `role`'s bearer token. */
export function requireRole(config: WorkerConfig, role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = requireSecret(config, TOKEN_OF[role]);
    const other = config.secrets[TOKEN_OF[OTHER_ROLE[role]]];
    if (other !== undefined && (await tokensEqual(expected, other))) {
      // One value for both would let either role use the other's routes.
      throw new HttpError(
        500,
        "invalid_config",
        "ADMIN_TOKEN and SESSION_TOKEN have the same value; give each its own with: npx wrangler secret put ADMIN_TOKEN (and SESSION_TOKEN)",
      );
    }
    const token = bearerToken(c.req.header("authorization"));
    if (token === undefined) {
      throw unauthorized(`Missing bearer token: send "Authorization: Bearer <${TOKEN_OF[role]}>"`);
    }
    if (await tokensEqual(token, expected)) return next();
    if (other !== undefined && (await tokensEqual(token, other))) {
      throw new HttpError(
        403,
        "forbidden",
        `This route needs the ${role} token (${TOKEN_OF[role]}); the ${OTHER_ROLE[role]} token is not accepted here`,
      );
    }
    throw unauthorized(`Invalid bearer token: expected the Worker's ${TOKEN_OF[role]}`);
  };
}
