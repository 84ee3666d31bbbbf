import type { Env } from "../env.ts";
import type { Registry } from "./registry.ts";

/** Name of the single Registry object: one registry holds every channel. */
export const REGISTRY_NAME = "registry";

export function registryStub(env: Env, name = REGISTRY_NAME): DurableObjectStub<Registry> {
  return env.REGISTRY.get(env.REGISTRY.idFromName(name));
}
