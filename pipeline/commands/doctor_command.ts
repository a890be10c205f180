/**
 * Registers `asmil doctor`.
 *
 * @module
 */
import { commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";

/** Adds `doctor` to `program`. */
export const registerDoctor: RegisterCommand = (program, globals) => {
  program
    .command("doctor")
    .description(
      "what this machine offers (libraries, backend, encoders, disk, memory), what each missing piece costs, and what to install",
    )
    .option("--json", "print the report as JSON, for scripts")
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const { formatDoctor, runDoctor } = await import("./doctor.ts");
      const report = await runDoctor({ db: ctx.db });
      console.log(
        o.json ? JSON.stringify(report, null, 2) : formatDoctor(report),
      );
      if (!report.ok) {
        const failed = report.checks.filter((c) => c.status === "failed");
        throw new Error(
          `the pipeline cannot run here: expected every required piece to work, but ${
            failed.map((c) => `${c.name} (${c.detail})`).join("; ")
          }`,
        );
      }
    });
};
