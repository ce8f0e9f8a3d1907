// What the browser scripts share: headless Chromium with a throwaway profile, and
// waiting until the search page has shown the answer to an action.
"use strict";
const { chromium } = require("playwright-core");

const LONG = { timeout: 30000 };

// Runs `drive(page)` in a fresh headless Chromium and prints what it returns as
// JSON, for tests/browser.rs to compare with the API; exits non-zero on any error.
function run(drive) {
  (async () => {
    const fs = require("fs"), os = require("os"), path = require("path");
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      locale: "en-US",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
    });
    try {
      console.log(JSON.stringify(await drive(await context.newPage())));
    } finally {
      await context.close();
    }
  })().catch((e) => { console.error(e); process.exit(1); });
}

// Does `action`, then waits until the page says it has shown the new answer.
async function settled(page, action) {
  await page.evaluate(() => { document.body.dataset.ready = "false"; });
  await action();
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, LONG);
}

module.exports = { run, settled, LONG };
