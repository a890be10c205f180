/**
 * Takes a screenshot of a report page with headless Chromium, to check by
 * eye (or in a test) that its plots and heatmaps render in a browser.
 * Chromium is not a dependency: install the Debian package `chromium` (or
 * point `CHROMIUM` at a binary).
 *
 * As a script:
 * `deno run --allow-read --allow-write --allow-run --allow-env stages/evaluate/screenshot.ts REPORT.html SHOT.png [WIDTH HEIGHT]`
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The Chromium binary: `$CHROMIUM`, else the first usual name on PATH; null if none. */
export async function findChromium(): Promise<string | null> {
  const fromEnv = Deno.env.get("CHROMIUM");
  if (fromEnv) return fromEnv;
  const names = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
  ];
  for (const name of names) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
      if (!dir) continue;
      try {
        if ((await Deno.stat(`${dir}/${name}`)).isFile) return `${dir}/${name}`;
      } catch {
        // not in this folder
      }
    }
  }
  return null;
}

/** Options of {@link screenshotPage}. */
export interface ScreenshotOptions {
  /** Viewport width (default 1280). */
  width?: number;
  /** Viewport height: the screenshot's height (default 3000). */
  height?: number;
  /** Chromium binary (default {@link findChromium}). */
  chromium?: string;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * Opens `htmlPath` in headless Chromium (fresh profile, no network
 * services) and writes a PNG screenshot of the first `width × height`
 * pixels to `pngPath`.
 *
 * @example
 * ```ts ignore
 * await screenshotPage("out/report/report.html", "out/report/screenshot.png", { height: 4000 });
 * ```
 */
export async function screenshotPage(
  htmlPath: string,
  pngPath: string,
  options: ScreenshotOptions = {},
): Promise<void> {
  const chromium = options.chromium ?? await findChromium();
  if (!chromium) {
    throw new Error(
      "Cannot take a screenshot: expected a Chromium binary (apt-get install chromium, or set CHROMIUM), found none on PATH",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "asmil-chromium-" });
  const out = resolve(pngPath);
  try {
    await Deno.remove(out).catch(() => undefined);
    const command = new Deno.Command(chromium, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        `--screenshot=${out}`,
        `--window-size=${options.width ?? 1280},${options.height ?? 3000}`,
        pathToFileURL(resolve(htmlPath)).href,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const result = await command.output();
    const written = await Deno.stat(out).then((s) => s.size > 0, () => false);
    if (!result.success || !written) {
      const stderr = new TextDecoder().decode(result.stderr).trim().split("\n")
        .slice(-5).join("\n");
      throw new Error(
        `Chromium did not write a screenshot of ${htmlPath} (exit code ${result.code}, file written: ${written}): ${stderr}`,
      );
    }
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => undefined);
  }
}

if (import.meta.main) {
  const [html, png, width, height] = Deno.args;
  if (!html || !png) {
    console.error("usage: screenshot.ts REPORT.html SHOT.png [WIDTH HEIGHT]");
    Deno.exit(2);
  }
  await screenshotPage(html, png, {
    ...(width ? { width: Number(width) } : {}),
    ...(height ? { height: Number(height) } : {}),
  });
  console.log(png);
}
