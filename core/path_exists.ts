/**
 * Whether a path exists.
 *
 * @module
 */

/**
 * Whether something (a file, a folder) is at `path`; false also when it
 * cannot be looked at.
 *
 * @example
 * ```ts
 * import { pathExists } from "./path_exists.ts";
 * if (await pathExists("/surely/not/here")) throw new Error();
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
