/**
 * Inline SVGs on one page share one id namespace: scoping their ids keeps
 * one plot's clip paths and gradients from applying to another.
 *
 * @module
 */

/**
 * Prefixes every id of an SVG (and its `url(#…)`/`href="#…"` references) so
 * that several inline SVGs on one page do not share clip paths.
 *
 * @example
 * ```ts
 * import { scopeSvgIds } from "./_svg_ids.ts";
 * const svg = scopeSvgIds('<clipPath id="c"/><g clip-path="url(#c)"/>', "p");
 * if (svg !== '<clipPath id="p-c"/><g clip-path="url(#p-c)"/>') throw new Error(svg);
 * ```
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));
  if (ids.size === 0) return svg;
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${prefix}-${id}"`)
    .replace(
      /url\(#([^)]+)\)/g,
      (m, id) => (ids.has(id) ? `url(#${prefix}-${id})` : m),
    )
    .replace(
      /href="#([^"]+)"/g,
      (m, id) => (ids.has(id) ? `href="#${prefix}-${id}"` : m),
    );
}
