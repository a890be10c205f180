/**
 * Slide properties from TIFF tags, named as OpenSlide 3.4 names them, so the
 * sharp reader reports the same vendor, MPP and magnification.
 *
 * @module
 */

/** Resolution tags of the first page, when present. */
export interface TiffResolution {
  xResolution: number | undefined;
  resolutionUnit: number | undefined;
}

const UNITS: Record<number, string> = { 1: "none", 2: "inch", 3: "centimeter" };

/**
 * Properties for a TIFF with ImageDescription `description`: an Aperio
 * description (`Aperio Image Library …|AppMag = 20|MPP = 0.5`) gives vendor
 * `aperio`, `aperio.*` keys, `openslide.mpp-x/y` and
 * `openslide.objective-power`; anything else is `generic-tiff`.
 */
export function tiffProperties(
  description: string,
  resolution: TiffResolution,
): Record<string, string> {
  const props: Record<string, string> = {};
  if (description) props["tiff.ImageDescription"] = description;
  if (resolution.xResolution !== undefined) {
    props["tiff.XResolution"] = String(resolution.xResolution);
  }
  if (resolution.resolutionUnit !== undefined) {
    props["tiff.ResolutionUnit"] = UNITS[resolution.resolutionUnit] ??
      "unknown";
  }
  if (!description.startsWith("Aperio")) {
    props["openslide.vendor"] = "generic-tiff";
    return props;
  }
  props["openslide.vendor"] = "aperio";
  for (const field of description.split("|").slice(1)) {
    const eq = field.indexOf(" = ");
    if (eq > 0) {
      props[`aperio.${field.slice(0, eq).trim()}`] = field.slice(eq + 3).trim();
    }
  }
  const mpp = props["aperio.MPP"];
  if (mpp !== undefined && Number(mpp) > 0) {
    props["openslide.mpp-x"] = mpp;
    props["openslide.mpp-y"] = mpp;
  }
  const mag = props["aperio.AppMag"];
  if (mag !== undefined && Number(mag) > 0) {
    props["openslide.objective-power"] = mag;
  }
  return props;
}
