// Riffle's web app in a real browser (Debian's Chromium, driven by playwright-core) against
// the real server: the whole user story with JavaScript, the core path without it, an axe-core
// scan of every page (no serious or critical violation), and screenshots at desktop and phone
// widths.
//
//   node scripts/e2e/run.mjs <path to riffle> [--screenshots <dir>]
//
// The server runs on its embedded defaults in a fresh directory; a small fixture server plays
// an external site with an Atom feed for the subscription step.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const [binary, ...rest] = process.argv.slice(2);
if (!binary) {
  console.error("usage: node run.mjs <path to riffle> [--screenshots <dir>]");
  process.exit(2);
}
const screenshotDir = rest[0] === "--screenshots" ? rest[1] : null;
const PASSWORD = "correct horse battery";
const PNG = gradientPng(320, 180);

// A PNG of a warm gradient, made here (a photo would be a file to keep in the repository).
function gradientPng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row.set([200 + Math.round((55 * x) / width), 80 + Math.round((120 * y) / height), 40 + Math.round((90 * (width - x)) / width)], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

let failures = 0;
function check(condition, what) {
  if (condition) {
    console.log(`ok   ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL ${what}`);
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, probe, seconds = 15) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return true;
    } catch (_) {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what}`);
}

// The fixture site: a blog with an Atom feed.
async function fixtureSite() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const feed = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Fixture Blog</title><id>${base}/</id><updated>2026-12-01T10:00:00Z</updated>
  <link href="${base}/"/><link rel="self" href="${base}/feed.xml"/>
  <entry><title>First light</title><id>${base}/first</id><link href="${base}/first"/>
    <updated>2026-12-01T10:00:00Z</updated><summary>The first entry of the fixture blog.</summary></entry>
</feed>`;
  const server = createServer((req, res) => {
    if (req.url === "/feed.xml") {
      res.writeHead(200, { "content-type": "application/atom+xml" });
      res.end(feed);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { server, url: `${base}/feed.xml` };
}

async function startRiffle() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "riffle-e2e-"));
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    RIFFLE_DATA_DIR: dir,
    RIFFLE_BIND: `127.0.0.1:${port}`,
    RIFFLE_PUBLIC_URL: base,
    RIFFLE_AUTH__CONFIRM_EMAIL: "false",
    RIFFLE_HTTP__RATE_LIMIT_PER_SECOND: "0",
    RIFFLE_CRAWLER__ALLOW_PRIVATE_NETWORKS: "true",
    RIFFLE_LOG__LEVEL: "warn",
  };
  execFileSync(binary, ["admin", "create-user", "--username", "boss", "--email", "boss@example.org"], {
    env: { ...env, RIFFLE_ADMIN_PASSWORD: PASSWORD },
    stdio: "inherit",
  });
  const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
  await until("riffle is ready", async () => (await fetch(`${base}/readyz`)).ok, 60);
  return { child, base, dir };
}

async function signUp(page, base, username) {
  await page.goto(`${base}/sign-up`);
  await page.fill("#username", username);
  await page.fill("#email", `${username}@example.org`);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/sign-up'] button[type=submit]")]);
}

async function signIn(page, base, username) {
  await page.goto(`${base}/sign-in`);
  await page.fill("#login", username);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/sign-in'] button[type=submit]")]);
}

async function scan(browser, base, username, paths) {
  // axe runs inside the page; the scan's own context lets its script past our CSP.
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  if (username) await signIn(page, base, username);
  for (const path of paths) {
    await page.goto(`${base}${path}`);
    await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    check(bad.length === 0, `axe: ${path} has no serious or critical violation` +
      (bad.length ? ` (${bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`).join("; ")})` : ""));
  }
  await context.close();
}

async function main() {
  const site = await fixtureSite();
  const riffle = await startRiffle();
  const { base } = riffle;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const started = Date.now();
  try {
    const ada = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const bob = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();

    await signUp(ada, base, "ada");
    check(ada.url() === `${base}/home`, "ada signs up and lands on her home");

    // A draft survives a reload; the count follows the text.
    await ada.fill("#compose-text", "hello from the browser #riffle 你好");
    check((await ada.textContent("#compose-count span")) === String(500 - [..."hello from the browser #riffle 你好"].length),
      "the composer counts characters as they are typed");
    await ada.reload();
    check((await ada.inputValue("#compose-text")) === "hello from the browser #riffle 你好", "the draft survives a reload");

    // Post with an image: the script sends the form and shows the upload's progress.
    await ada.click("details.media-rows summary");
    await ada.setInputFiles("#compose-media-1", { name: "gradient.png", mimeType: "image/png", buffer: PNG });
    await ada.fill("#compose-alt-1", "a warm gradient from rose to orange");
    await Promise.all([ada.waitForNavigation(), ada.click("form.composer button[type=submit]")]);
    await until("ada's post is in her home", async () => {
      await ada.reload();
      return (await ada.locator("article.post .media img").count()) === 1;
    });
    check(true, "ada posts with an image");
    check(await ada.getAttribute("article.post .media img", "alt") === "a warm gradient from rose to orange",
      "the image carries its description as alt text");
    check((await ada.inputValue("#compose-text")) === "", "the draft is gone once posted");
    const postId = await ada.getAttribute("article.post", "data-post");

    await signUp(bob, base, "bob");
    await bob.goto(`${base}/@ada`);
    await Promise.all([bob.waitForNavigation(), bob.click("form[action$='/follow'] button")]);
    check(await bob.locator("form[action$='/unfollow']").count() === 1, "bob follows ada");
    await until("ada's post reaches bob's home", async () => {
      await bob.goto(`${base}/home`);
      return (await bob.locator(`article[data-post='${postId}']`).count()) === 1;
    });
    check(true, "bob sees ada's post in his home");

    // Ada watches her notifications live while bob likes and replies.
    await ada.goto(`${base}/notifications`);
    await bob.keyboard.press("j");
    check(await bob.evaluate(() => document.activeElement?.dataset?.post) !== undefined, "j focuses the first post");
    await Promise.all([bob.waitForNavigation(), bob.keyboard.press("l")]);
    await until("the like shows in bob's home", async () => {
      await bob.goto(`${base}/home`);
      return (await bob.locator(`article[data-post='${postId}'] form[action$='/unlike']`).count()) === 1;
    });
    check(true, "l likes the focused post");
    await until("ada is told live", async () => !(await ada.locator("p.new-posts").isHidden()), 10);
    check(true, "ada's notifications page shows the like as it happens");
    await bob.goto(`${base}/posts/${postId}`);
    await bob.fill("#compose-text", "nice one");
    await Promise.all([bob.waitForNavigation(), bob.click("#reply form.composer button[type=submit]")]);
    check(await bob.locator(".replies article.post .text", { hasText: "nice one" }).count() === 1, "bob replies");
    await until("ada has both notifications", async () => {
      await ada.goto(`${base}/notifications`);
      const text = await ada.textContent("ol.notifications");
      return text.includes("liked your post") && text.includes("replied to you");
    });
    check(true, "ada is told of the like and the reply");

    await until("search finds the post", async () => {
      await bob.goto(`${base}/search?q=browser`);
      return (await bob.locator(`ul.results a[href='/posts/${postId}']`).count()) === 1;
    });
    check(true, "search finds ada's post");
    await bob.keyboard.press("?");
    check(await bob.locator("#help[open]").count() === 1, "? opens the keyboard help");

    await ada.goto(`${base}/sources`);
    await ada.fill("#url", site.url);
    await Promise.all([ada.waitForNavigation(), ada.click("form[action='/sources'] button")]);
    check(await ada.locator("table.sources td", { hasText: "Fixture Blog" }).count() === 1, "ada subscribes to a feed");

    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      const shots = [["home", bob, "/home"], ["post", bob, `/posts/${postId}`], ["notifications", ada, "/notifications"],
        ["profile", bob, "/@ada"], ["docs", bob, "/docs"]];
      for (const [name, page, path] of shots) {
        for (const [width, height, label] of [[1280, 800, "desktop"], [375, 812, "phone"]]) {
          await page.setViewportSize({ width, height });
          await page.goto(`${base}${path}`);
          await page.screenshot({ path: join(screenshotDir, `${name}-${label}.png`) });
        }
      }
      const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await visitor.goto(`${base}/`);
      await visitor.screenshot({ path: join(screenshotDir, "front-desktop.png") });
      await visitor.setViewportSize({ width: 375, height: 812 });
      await visitor.screenshot({ path: join(screenshotDir, "front-phone.png") });
    }

    // Infinite scroll: the public stream's second page arrives as the reader reaches the end.
    const login = await (await fetch(`${base}/api/v1/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "ada", password: PASSWORD }),
    })).json();
    const adaToken = login.access_token;
    const post = (text) => fetch(`${base}/api/v1/posts`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${adaToken}` },
      body: JSON.stringify({ text }),
    });
    for (let i = 0; i < 24; i++) await post(`filler ${i}`);
    await until("the fillers are public", async () => {
      await bob.goto(`${base}/public`);
      return (await bob.locator("a[data-infinite]").count()) === 1;
    });
    const firstPage = await bob.locator("article.post").count();
    await bob.locator("a[data-infinite]").scrollIntoViewIfNeeded();
    await until("the next page is appended", async () => (await bob.locator("article.post").count()) > firstPage, 10);
    check(true, `infinite scroll appends the next page (${firstPage} → ${await bob.locator("article.post").count()} posts)`);
    // Live: a new public post is announced while the page is open.
    await post("breaking news");
    await until("the public page announces the new post", async () => !(await bob.locator("p.new-posts").isHidden()), 10);
    check(true, "the public stream announces new posts live");

    // On a phone's width nothing is wider than the screen.
    await bob.setViewportSize({ width: 375, height: 812 });
    await bob.goto(`${base}/home`);
    const wide = await bob.evaluate(() => Array.from(document.querySelectorAll("body *"))
      .filter((el) => el.getBoundingClientRect().right > 375).map((el) => el.tagName + "." + el.className).slice(0, 5));
    check(wide.length === 0, `home fits a 375-px screen${wide.length ? ` (wider: ${wide.join(", ")})` : ""}`);

    await Promise.all([bob.waitForNavigation(), bob.click("form[action='/sign-out'] button")]);
    await bob.goto(`${base}/home`);
    check(bob.url().startsWith(`${base}/sign-in`), "bob signs out");

    // The core path without JavaScript.
    const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await signIn(plain, base, "bob");
    check(plain.url() === `${base}/`, "without JavaScript: bob signs in");
    await plain.goto(`${base}/home`);
    await plain.fill("#compose-text", "posted without script");
    await Promise.all([plain.waitForNavigation(), plain.click("form.composer button[type=submit]")]);
    await until("the plain post shows", async () => {
      await plain.goto(`${base}/home`);
      return (await plain.locator("article.post .text", { hasText: "posted without script" }).count()) === 1;
    });
    check(true, "without JavaScript: bob posts and sees it in his home");
    await plain.goto(`${base}/posts/${postId}`);
    await Promise.all([plain.waitForNavigation(), plain.click(`.focus form[action$='/unlike'] button`)]);
    check(await plain.locator(`.focus form[action$='/like']`).count() === 1, "without JavaScript: bob takes his like back");

    await scan(browser, base, null, ["/", "/public", "/sign-in", "/sign-up", `/posts/${postId}`, "/@ada", "/tags/riffle", "/docs"]);
    await scan(browser, base, "ada", ["/home", "/for-you", "/notifications", "/search?q=hello", "/sources", "/settings",
      "/@ada/followers", "/compose"]);
    await scan(browser, base, "boss", ["/moderation", "/admin"]);
  } finally {
    console.log(`e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await browser.close();
    const exited = new Promise((r) => riffle.child.once("exit", r));
    riffle.child.kill("SIGTERM");
    await exited;
    site.server.close();
    rmSync(riffle.dir, { recursive: true, force: true });
  }
  if (failures > 0) {
    console.log(`${failures} check(s) failed`);
    process.exit(1);
  }
  console.log("all browser checks passed");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
