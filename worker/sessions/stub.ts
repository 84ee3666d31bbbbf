import type { Env } from "../env.ts";
import type { SessionStore } from "./store.ts";
import { SESSION_STORE_NAME } from "./store.ts";

/** Returns the stub of the single SessionStore object. */
export function sessionStoreStub(
  env: Env,
  name = SESSION_STORE_NAME,
): DurableObjectStub<SessionStore> {
  return env.SESSIONS.get(env.SESSIONS.idFromName(name));
}
