import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { requireTool } from "../../helpers/tools.ts";

/** Debian's Chromium flags that keep a headless run quiet and offline (see shared/REAL-TOOLS.md). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Debian's Chromium through playwright-core (never a downloaded browser), with a fresh profile
 * directory removed after the test. Null when Chromium is missing outside CI (the test is skipped).
 */
export async function launchChromium(
  t: TestContext,
  viewport = { width: 390, height: 844 },
): Promise<BrowserContext | null> {
  const exe = requireTool(t, "/usr/bin/chromium", "chromium");
  if (!exe) return null;
  const profile = mkdtempSync(join(tmpdir(), "ew-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 60_000,
  });
  t.after(async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}
