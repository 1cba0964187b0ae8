// `npm run bench -w packages/playground`: first-load weight and time to interactive, in Debian's
// chromium against a real server on localhost. One JSON line per figure.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultConfig, startServer } from "isolator-server";
import { chromium } from "playwright-core";

const dataDir = mkdtempSync(join(tmpdir(), "isolator-pgbench-"));
const server = await startServer({ ...defaultConfig(), port: 0, dataDir, logLevel: "silent", poolSize: 1, playgroundDir: fileURLToPath(new URL("dist", import.meta.url)) });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
try {
  const weights = [];
  const ready = [];
  for (let i = 0; i < 7; i++) {
    const context = await browser.newContext(); // a cold cache each time
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    let bytes = 0;
    cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]", { state: "attached" });
    ready.push(Number(await page.getAttribute("body", "data-ready-at")));
    await page.waitForLoadState("networkidle");
    weights.push(bytes);
    await context.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(JSON.stringify({ figure: "playground first load, transferred (compressed)", unit: "KB", ours: Math.round(median(weights) / 1024), goal: "<= 500 KB" }));
  console.log(JSON.stringify({ figure: "playground time to interactive on localhost", unit: "ms", ours: median(ready), goal: "<= 1000 ms" }));
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
