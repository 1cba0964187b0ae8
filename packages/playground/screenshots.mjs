// `npm run screenshots -w packages/playground`: the README's pictures of the playground, light and
// dark, taken in Debian's chromium against a real server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultConfig, startServer } from "isolator-server";
import { chromium } from "playwright-core";

const dataDir = mkdtempSync(join(tmpdir(), "isolator-shots-"));
const server = await startServer({ ...defaultConfig(), port: 0, dataDir, logLevel: "silent", poolSize: 1, playgroundDir: fileURLToPath(new URL("dist", import.meta.url)) });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
try {
  for (const colorScheme of ["light", "dark"]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme });
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]", { state: "attached" });
    await page.selectOption("#examples", "2"); // async/await with timers
    await page.click("#run");
    await page.waitForFunction(() => /Succeeded/.test(document.getElementById("status")?.textContent ?? ""));
    await page.screenshot({ path: fileURLToPath(new URL(`../../docs/playground-${colorScheme}.png`, import.meta.url)) });
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
