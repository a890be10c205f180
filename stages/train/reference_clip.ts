/**
 * Gradient clipping per model, as the released training scripts do it:
 * the ASMIL script clips the global gradient norm at 5
 * (`clip_grad_norm_(model.parameters(), 5)`), the DTFD script clips at 5
 * (per module there; per optimisation group here); the ACMIL script and
 * the shared engine of ABMIL, CLAM, TransMIL and DSMIL do not clip. A
 * model wrapped by the anchor follows the model it wraps.
 *
 * @module
 */

/** Models whose released script clips the gradient norm. */
export const CLIPPED_IN_REFERENCE: ReadonlySet<string> = new Set([
  "asmil",
  "dtfd_afs",
  "dtfd_maxmins",
]);

/** Which models a clip norm applies to: those the reference clips, or every model. */
export type ClipScope = "reference" | "all";

/**
 * The clip norm the trainer uses for `model`: `clipNorm` when the scope is
 * `"all"` or the model is clipped in the reference, else `null` (none).
 *
 * @example
 * ```ts
 * import { clipNormFor } from "./reference_clip.ts";
 * if (clipNormFor("asmil", 5) !== 5 || clipNormFor("acmil", 5) !== null) throw new Error();
 * if (clipNormFor("acmil", 5, "all") !== 5) throw new Error();
 * ```
 */
export function clipNormFor(
  model: string,
  clipNorm: number | null,
  scope: ClipScope = "reference",
): number | null {
  if (scope !== "reference" && scope !== "all") {
    throw new RangeError(
      `Clip scope must be "reference" or "all": current value is ${
        JSON.stringify(scope)
      }`,
    );
  }
  if (clipNorm === null) return null;
  return scope === "all" || CLIPPED_IN_REFERENCE.has(model) ? clipNorm : null;
}
