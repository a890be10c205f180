/**
 * When the anchor acts and with which EMA momentum, per epoch: the warm-up
 * (no anchor term for the first `warmupEpochs` epochs) and the momentum
 * ramp (cosine from `momentumStart` to `momentum` over `momentumRamp`
 * epochs counted from the anchor's first epoch, as BYOL's schedule).
 * Functions of the epoch only, so a resumed run follows the same schedule.
 *
 * @module
 */
import type { AnchorOptions } from "./anchor_options.ts";

type Schedule = Pick<
  AnchorOptions,
  "momentum" | "momentumStart" | "momentumRamp" | "warmupEpochs"
>;

/**
 * Whether the anchor term and update are on in 0-based `epoch`.
 *
 * @example
 * ```ts
 * import { anchorActive } from "./anchor_schedule.ts";
 * if (anchorActive({ warmupEpochs: 2 }, 1) || !anchorActive({ warmupEpochs: 2 }, 2)) throw new Error();
 * ```
 */
export function anchorActive(
  options: Pick<Schedule, "warmupEpochs">,
  epoch: number,
): boolean {
  return epoch >= options.warmupEpochs;
}

/**
 * The EMA momentum in 0-based `epoch`: with k = epoch − warmupEpochs and
 * R = momentumRamp > 0, `m − (m − m₀)·(1 + cos(π·k/R))/2` for k < R (m₀ at
 * k = 0), else `m`; always `m` without a ramp.
 *
 * @example
 * ```ts
 * import { anchorMomentum } from "./anchor_schedule.ts";
 * const o = { momentum: 0.999, momentumStart: 0.99, momentumRamp: 10, warmupEpochs: 0 };
 * if (anchorMomentum(o, 0) !== 0.99 || anchorMomentum(o, 10) !== 0.999) throw new Error();
 * ```
 */
export function anchorMomentum(options: Schedule, epoch: number): number {
  const { momentum, momentumStart, momentumRamp } = options;
  const k = epoch - options.warmupEpochs;
  if (momentumRamp <= 0 || k >= momentumRamp) return momentum;
  if (k <= 0) return momentumStart;
  return momentum -
    (momentum - momentumStart) * (1 + Math.cos(Math.PI * k / momentumRamp)) /
      2;
}
