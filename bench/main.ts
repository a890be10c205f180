/**
 * Runs one benchmark by name: `deno task bench <name> [args…]` imports
 * `bench/<name with - as _>.ts` and calls its `run(args)`. With no name it
 * lists the benches (every `bench/*.ts` except this file and tests), with
 * the first line of each file's doc comment. Adding a bench is adding a
 * file; this dispatcher never changes.
 *
 * @module
 */

/** What every bench module exports. */
export interface BenchModule {
  run(args: string[]): Promise<void>;
}

const here = new URL(".", import.meta.url);

/**
 * Bench names available in `bench/`, sorted.
 *
 * @example
 * ```ts ignore
 * listBenches(); // ["embed", "train-step"]
 * ```
 */
export function listBenches(): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(here)) {
    const name = entry.name;
    if (
      entry.isFile && name.endsWith(".ts") && name !== "main.ts" &&
      !name.endsWith("_test.ts") && !name.startsWith("_")
    ) {
      names.push(name.slice(0, -3).replaceAll("_", "-"));
    }
  }
  return names.sort();
}

function fileOf(name: string): URL {
  return new URL(`${name.replaceAll("-", "_")}.ts`, here);
}

/** The first sentence of a bench file's module doc comment. */
function summary(name: string): string {
  const text = Deno.readTextFileSync(fileOf(name));
  const match = text.match(/\/\*\*\s*\n?\s*\*?\s*([^\n]*)/);
  return match?.[1]?.trim() ?? "";
}

/**
 * Dispatches `args[0]` to its bench module.
 *
 * @example
 * ```ts ignore
 * await main(["train-step", "--quick"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const available = listBenches();
  if (name === undefined || name === "--help" || name === "-h") {
    console.log("Usage: deno task bench <name> [options]\n\nBenches:");
    for (const bench of available) {
      console.log(`  ${bench.padEnd(16)} ${summary(bench)}`);
    }
    return 0;
  }
  if (!available.includes(name)) {
    console.error(
      `Unknown bench "${name}": expected one of ${
        available.join(", ") || "(none)"
      }`,
    );
    return 2;
  }
  const module = await import(fileOf(name).href) as Partial<BenchModule>;
  if (typeof module.run !== "function") {
    console.error(
      `bench/${
        fileOf(name).pathname.split("/").pop()
      } does not export run(args)`,
    );
    return 2;
  }
  await module.run(rest);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
