// End to end, in a real browser (Debian's chromium driven by playwright-core) against a real
// server serving the built playground.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultConfig, startServer, type RunningServer } from "isolator-server";
import { chromium, type Browser, type Page } from "playwright-core";

const dataDir = mkdtempSync(join(tmpdir(), "isolator-playground-"));
let server: RunningServer;
let browser: Browser;

before(async () => {
  server = await startServer({
    ...defaultConfig(),
    port: 0,
    dataDir,
    logLevel: "silent",
    poolSize: 2,
    node: { enabled: true, size: 1, warm: 1, modules: undefined }, // .ci/run installs bubblewrap
    playgroundDir: fileURLToPath(new URL("../../dist", import.meta.url)),
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function open(path = "/"): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector("body[data-ready=true]", { state: "attached" });
  return page;
}

/** Replaces the active file's text through the editor, as typing would. */
async function setCode(page: Page, code: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
}

const finished = (page: Page) =>
  page.waitForFunction(() => {
    const status = document.getElementById("status")?.textContent ?? "";
    return !/Submitting|Queued|Compiling|Running|Cancelling/.test(status) && status !== "Ready";
  });

describe("the playground", () => {
  it("runs what was typed and streams its output, with stats", async () => {
    const page = await open();
    await setCode(page, 'console.log("typed", 6 * 7);\nconsole.error("to stderr");');
    await page.click("#run");
    await finished(page);
    assert.match((await page.textContent("#status")) ?? "", /Succeeded · exit code 0/);
    assert.equal(await page.textContent("#output .chunk.stdout"), "typed 42\n");
    assert.equal(await page.textContent("#output .chunk.stderr"), "to stderr\n");
    assert.match((await page.textContent("#stats")) ?? "", /Compile .* · Execute .* · Memory .* MB/);
    await page.context().close();
  });

  it("shows a type error as a squiggle and in the problems list, and does not run the program", async () => {
    const page = await open();
    await setCode(page, 'console.log("must not run");\nconst n: number = "x";');
    await page.waitForSelector(".cm-lintRange-error");
    assert.match((await page.textContent("#problems")) ?? "", /main\.ts:2:7 Type 'string' is not assignable to type 'number'/);
    await page.click("#problems .problem");
    await page.keyboard.press("Control+Enter");
    await finished(page);
    assert.match((await page.textContent("#status")) ?? "", /Compile error/);
    assert.doesNotMatch((await page.textContent("#output")) ?? "", /must not run/);
    await page.context().close();
  });

  it("feeds stdin and arguments from the settings", async () => {
    const page = await open();
    await setCode(page, 'const input = require("fs").readFileSync(0, "utf8");\nconsole.log(input.trim().toUpperCase(), process.argv.slice(2).join("+"));');
    await page.click("#settings-toggle");
    await page.fill("#stdin", "shout");
    await page.fill("#args", "a b");
    await page.click("#run");
    await finished(page);
    assert.equal(await page.textContent("#output .chunk.stdout"), "SHOUT a+b\n");
    await page.context().close();
  });

  it("cancels a running program at once", async () => {
    const page = await open();
    await setCode(page, "while (true) {}");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "Running");
    await page.click("#cancel");
    await finished(page);
    assert.match((await page.textContent("#status")) ?? "", /Cancelled/);
    await page.context().close();
  });

  it("shares a permalink that opens the same code in another page; editing there leaves the snippet unchanged", async () => {
    const page = await open();
    await setCode(page, 'console.log("shared code");');
    await page.click("#share");
    await page.waitForFunction(() => Boolean(document.getElementById("share")?.dataset.url));
    const url = await page.getAttribute("#share", "data-url");
    assert.match(url ?? "", /\/s\/[0-9A-Za-z]{12}$/);
    const other = await open(new URL(url!).pathname);
    assert.equal(await other.textContent(".cm-content"), 'console.log("shared code");');
    await setCode(other, 'console.log("forked");');
    const third = await open(new URL(url!).pathname);
    assert.equal(await third.textContent(".cm-content"), 'console.log("shared code");');
    for (const p of [page, other, third]) await p.context().close();
  });

  it("runs on real Node.js when chosen in the settings, and a share keeps the choice", async () => {
    const page = await open();
    await page.click("#settings-toggle");
    await page.selectOption("#runtime", "node");
    await setCode(page, 'const b: Buffer = Buffer.from("node");\nconsole.log(b.toString("hex"), typeof process.versions.v8);');
    await page.click("#run");
    await finished(page);
    assert.match((await page.textContent("#status")) ?? "", /Succeeded · exit code 0/);
    assert.equal(await page.textContent("#output .chunk.stdout"), "6e6f6465 string\n");
    await page.click("#share");
    await page.waitForFunction(() => Boolean(document.getElementById("share")?.dataset.url));
    const other = await open(new URL((await page.getAttribute("#share", "data-url"))!).pathname);
    assert.equal(await other.inputValue("#runtime"), "node");
    for (const p of [page, other]) await p.context().close();
  });

  it("keeps unsaved work across a reload", async () => {
    const page = await open();
    await setCode(page, 'console.log("still here");');
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", { state: "attached" });
    assert.equal(await page.textContent(".cm-content"), 'console.log("still here");');
    await page.context().close();
  });

  it("ends the runaway example with timed_out", async () => {
    const page = await open();
    const index = await page.$$eval("#examples option", (options) => options.findIndex((o) => /runaway/i.test(o.textContent ?? "")));
    await page.selectOption("#examples", String(index - 1));
    await page.click("#run");
    await finished(page);
    assert.match((await page.textContent("#status")) ?? "", /Timed out/);
    await page.context().close();
  });
});
