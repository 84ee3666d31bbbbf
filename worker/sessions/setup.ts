/**
 * Setting a session's sandbox up: mount the pinned version read-only, check
 * that a known file of it is visible, set the agent's environment, start
 * the agent and wait for its port, and only then write the setup marker.
 * A failure after the mount removes the mount again, so no session is left
 * half set up.
 */

import type { Logger } from "../../core/logger.ts";
import { UnsafePathError } from "../../core/paths.ts";
import type { Bucket } from "../bucket/types.ts";
import type { WorkerConfig } from "../config.ts";
import { requireSecret } from "../config.ts";
import { describe, HttpError } from "../errors.ts";
import {
  knownFileOf,
  knownFilePath,
  MountError,
  type MountTarget,
  type VersionMounter,
  verifyMount,
} from "../mount/index.ts";
import { assertManifestExists, readManifest } from "../mount/manifest.ts";
import { LocalHostError } from "../sandbox/local-host.ts";
import type { SandboxHandle, SandboxProcess } from "../sandbox/types.ts";
import { SandboxUnsupportedError } from "../sandbox/types.ts";
import type { SessionRecord } from "./records.ts";

/** How long the agent may take to listen on AGENT_PORT after it starts. */
export const AGENT_PORT_TIMEOUT_MS = 60_000;

export interface SetupContext {
  config: WorkerConfig;
  bucket: Bucket;
  mounter: VersionMounter;
  logger: Logger;
}

/**
 * Returns the file the mount must show. Sessions recorded before the
 * registry kept it find it in the manifest. The others only check that the
 * manifest exists, so their start does not grow with the manifest's size.
 */
async function knownFileFor(bucket: Bucket, record: SessionRecord): Promise<string | undefined> {
  try {
    if (record.knownFile === null) return knownFileOf(await readManifest(bucket, record));
    await assertManifestExists(bucket, record);
    return record.knownFile;
  } catch (error: unknown) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(
      503,
      "bucket_unavailable",
      `Reading the manifest ${record.manifestKey} of version ${record.version} for session ${record.sessionId} failed: ${describe(error)}; retry later`,
      { cause: error, headers: { "Retry-After": "10" } },
    );
  }
}

/** Returns the agent's environment: the version, the channel, the model and one API credential. */
export function agentEnv(config: WorkerConfig, record: SessionRecord): Record<string, string> {
  const env: Record<string, string> = {
    SKILLS_VERSION: record.version,
    ANTHROPIC_MODEL: config.model,
  };
  if (record.channel !== null) env.SKILLS_CHANNEL = record.channel;
  const apiKey = config.secrets.ANTHROPIC_API_KEY;
  const oauthToken = config.secrets.CLAUDE_CODE_OAUTH_TOKEN;
  if (apiKey !== undefined) env.ANTHROPIC_API_KEY = apiKey;
  else if (oauthToken !== undefined) env.CLAUDE_CODE_OAUTH_TOKEN = oauthToken;
  else if (config.agentCommand !== undefined) {
    // An agent started here needs a credential; this throws the 500 that names the fix.
    requireSecret(config, "ANTHROPIC_API_KEY");
  }
  return env;
}

/** Turns an error of one setup step into the response the client gets. */
function setupFailure(step: string, record: SessionRecord, error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const subject = `Setting up session ${record.sessionId} with version ${record.version} failed to ${step}`;
  if (error instanceof MountError) {
    return new HttpError(502, "mount_failed", error.message, { cause: error });
  }
  if (error instanceof UnsafePathError) {
    return new HttpError(
      502,
      "version_invalid",
      `${subject}: ${error.message}; publish the version again from a clean tree`,
      { cause: error },
    );
  }
  if (error instanceof SandboxUnsupportedError) {
    return new HttpError(501, "not_supported", `${subject}: ${error.message}`, { cause: error });
  }
  if (error instanceof LocalHostError) {
    return new HttpError(502, "sandbox_host_failed", `${subject}: ${error.message}`, {
      cause: error,
    });
  }
  return new HttpError(
    503,
    "sandbox_unavailable",
    `${subject}; the sandbox reported an error (see the Worker's logs); retry later`,
    { cause: error, headers: { "Retry-After": "10" } },
  );
}

/** Runs one step of the setup and turns its error into the response the client gets. */
export async function runSetupStep<T>(
  name: string,
  record: SessionRecord,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error: unknown) {
    throw setupFailure(name, record, error);
  }
}

/**
 * Mounts the session's version and starts its agent. On failure it removes
 * the mount and throws an `HttpError` that names the session, the version
 * and the step.
 */
export async function setUpSandbox(
  context: SetupContext,
  handle: SandboxHandle,
  record: SessionRecord,
): Promise<void> {
  const { config, logger, mounter } = context;
  const env = agentEnv(config, record);
  const target: MountTarget = {
    sessionId: record.sessionId,
    version: record.version,
    manifestKey: record.manifestKey,
    manifestSha256: record.manifestSha256,
    knownFile: await knownFileFor(context.bucket, record),
    mountPath: config.mountPath,
    rootPrefix: config.rootPrefix,
  };
  const ids = { sessionId: record.sessionId, version: record.version, mountMode: mounter.mode };

  // An unsafe known file fails here, before anything is mounted.
  await runSetupStep("find its known file", record, async () => knownFilePath(target));
  await runSetupStep(`mount it at ${config.mountPath}`, record, () =>
    mounter.mount(handle, target),
  );
  logger.info("version mounted", ids);
  let agent: SandboxProcess | undefined;
  try {
    await runSetupStep("show the mounted files", record, () => verifyMount(handle, target));
    await runSetupStep("set the agent's environment", record, () => handle.setEnvVars(env));
    const command = config.agentCommand;
    if (command !== undefined) {
      const started = await runSetupStep("start the agent (AGENT_COMMAND)", record, () =>
        handle.startProcess(command),
      );
      agent = started;
      await runSetupStep(`see the agent listen on port ${config.agentPort}`, record, () =>
        started.waitForPort(config.agentPort, { timeoutMs: AGENT_PORT_TIMEOUT_MS }),
      );
      logger.info("agent started", { ...ids, processId: started.id, port: config.agentPort });
    }
    await runSetupStep("record the finished setup", record, () =>
      handle.writeSetupMarker(record.version),
    );
  } catch (error: unknown) {
    // The next setup starts the agent again, so a stray one must not keep the port.
    if (agent !== undefined) {
      try {
        await agent.kill();
      } catch (killError: unknown) {
        logger.error("setup failed and stopping the agent failed too", {
          ...ids,
          processId: agent.id,
          error: describe(killError),
        });
      }
    }
    try {
      await mounter.unmount(handle, target);
      logger.warn("setup failed; mount removed", { ...ids, error: describe(error) });
    } catch (unmountError: unknown) {
      logger.error("setup failed and removing the mount failed too", {
        ...ids,
        error: describe(error),
        unmountError: describe(unmountError),
      });
    }
    throw error;
  }
}
