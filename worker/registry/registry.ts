/** The Registry Durable Object. */

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";

export class Registry extends DurableObject<Env> {}
