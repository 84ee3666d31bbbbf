/**
 * Scenario figures for docs/reliability.md: each scenario appends one JSON
 * line to the file named by `R2_SKILLS_RELIABILITY_LOG`, when it is set.
 */

import { appendFileSync } from "node:fs";

export function recordScenario(name: string, figures: Record<string, unknown>): void {
  const file = process.env.R2_SKILLS_RELIABILITY_LOG;
  if (file === undefined || file === "") return;
  appendFileSync(
    file,
    `${JSON.stringify({ scenario: name, at: new Date().toISOString(), ...figures })}\n`,
  );
}
