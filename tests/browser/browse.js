// browse.js — the browser test: Debian's Chromium, driven by playwright-core, uses showtable
// as a person would: logs in with basic auth, clicks Scan, sees the demo items (every column
// within the width at 1280 px), opens an item from the list with the keyboard, follows the
// next-page link, filters by itemID and by an attribute, hides a column, sorts, and saves
// screenshots (screenshot-start, -results, -item, -page2, -phone, -dark .png). Any failed request, console error
// (a CSP violation is one) or script dialog fails the run.
//
// Environment: SHOWTABLE_URL (http://127.0.0.1:PORT), SHOWTABLE_USER, SHOWTABLE_PASSWORD,
// SCREENSHOT_DIR (default build), CHROMIUM (default /usr/bin/chromium).
// Prints one JSON line of facts on success; exits 1 with the reason on failure.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const base = (process.env.SHOWTABLE_URL || "").replace(/\/$/, "");
const user = process.env.SHOWTABLE_USER;
const password = process.env.SHOWTABLE_PASSWORD;
const shots = process.env.SCREENSHOT_DIR || "build";
const executable = process.env.CHROMIUM || "/usr/bin/chromium";

function check(cond, what) {
	if (!cond) throw new Error(what);
}

async function rowIds(page) {
	return page.$$eval("table.items tbody th[scope=row]", (ths) => ths.map((t) => t.textContent));
}

async function main() {
	check(base.startsWith("http://127.0.0.1:") || base.startsWith("http://[::1]:"),
		"SHOWTABLE_URL must be a loopback http URL");
	check(user && password, "SHOWTABLE_USER and SHOWTABLE_PASSWORD are required");
	fs.mkdirSync(shots, { recursive: true });
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), "showtable-chromium-"));
	const problems = [];
	const facts = {};
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: executable,
		headless: true,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--disable-dev-shm-usage"],
		httpCredentials: { username: user, password: password },
		viewport: { width: 1280, height: 800 },
		colorScheme: "light",
	});
	try {
		const page = context.pages()[0] || (await context.newPage());
		page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
		page.on("pageerror", (e) => problems.push("page error: " + e.message));
		page.on("dialog", async (d) => { problems.push("script dialog opened: " + d.message()); await d.dismiss(); });
		page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
		page.on("response", (r) => {
			if (r.status() >= 400)
				problems.push(`HTTP ${r.status()} for ${r.url()}`);
			if (!r.url().startsWith(base)) problems.push("request outside the server: " + r.url());
		});

		// Start page.
		const start = await page.goto(base + "/");
		check(start.status() === 200, `start page answered ${start.status()}`);
		check((await page.title()).includes("showtable"), "start page title lacks showtable");
		const css = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
		check(/system-ui|sans/.test(css), "stylesheet not applied: body font is " + css);
		check((await page.textContent(".user")).includes(user), "start page does not name the user");
		await page.screenshot({ path: path.join(shots, "screenshot-start.png") });
		const fav = await page.request.get(base + "/favicon.ico");
		check(fav.status() === 200 && (await fav.body()).length > 100, "favicon missing");

		// Keyboard: Tab reaches the skip link first, then the filter box and the Scan button,
		// each with a visible focus outline.
		const reached = [];
		for (let i = 0; i < 8 && !reached.includes("scan"); i++) {
			await page.keyboard.press("Tab");
			const f = await page.evaluate(() => {
				const el = document.activeElement;
				const cs = getComputedStyle(el);
				return { id: el.id || el.className, outline: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2 };
			});
			check(f.outline, "no visible focus outline on " + f.id);
			reached.push(f.id);
		}
		check(reached[0] === "skip", "first Tab stop is " + reached[0] + ", want the skip link");
		check(reached.includes("q") && reached.includes("scan"), "Tab order: " + reached.join(", "));
		await page.evaluate(() => document.activeElement.blur());

		// "/" jumps to the filter box (showtable.js loaded and allowed by the CSP).
		await page.keyboard.press("/");
		check(await page.evaluate(() => document.activeElement && document.activeElement.id === "q"),
			"pressing / did not focus the filter (showtable.js not running?)");
		await page.keyboard.press("Escape");

		// Scan: go-on-aws's button, a form GET to /query (a URL that reloads without a prompt).
		await Promise.all([
			page.waitForURL(/\/query/),
			page.getByRole("button", { name: "Scan" }).click(),
		]);
		await page.waitForSelector("table.items tbody tr");
		const first = await rowIds(page);
		facts.page1 = first.length;
		check(first.length === 100, `first page shows ${first.length} items, want 100`);
		check(first.every((id) => /^item-\d{4}$/.test(id)), "unexpected item ids: " + first.slice(0, 3));
		const heads = await page.$$eval("table.items thead th", (t) => t.map((x) => x.textContent));
		check(heads[0] === "itemID", "first column is " + heads[0]);
		for (const col of ["active", "name", "price", "stock"])
			check(heads.includes(col), "column missing: " + col);
		const stats = await page.textContent(".stats");
		check(/100\s+items/.test(stats) && /scanned/.test(stats) && /ms/.test(stats),
			"stats line: " + stats);
		// Demo text with markup is shown as text, never run.
		const scripts = await page.$$eval("table.items script", (s) => s.length);
		check(scripts === 0, "a <script> element appeared inside the table");
		// Sticky header: the header cell stays at the top of the scrolled table box.
		await page.$eval(".table-wrap", (w) => { w.scrollTop = 600; });
		const stuck = await page.$eval("table.items thead th", (th) => {
			const w = th.closest(".table-wrap").getBoundingClientRect();
			return Math.abs(th.getBoundingClientRect().top - w.top) < 3;
		});
		check(stuck, "table header does not stay at the top when scrolling");
		await page.$eval(".table-wrap", (w) => { w.scrollTop = 0; });
		await page.screenshot({ path: path.join(shots, "screenshot-results.png") });
		check(await page.locator("a.first").count() === 0, "the first page links to the first page");

		// At 1280 px no column is hidden off to the right: long values are cut instead.
		const offscreen = await page.$eval(".table-wrap", (w) => {
			const r = w.getBoundingClientRect();
			return Array.from(w.querySelectorAll("thead th"))
				.filter((th) => th.getBoundingClientRect().right > r.right + 1).map((th) => th.textContent);
		});
		check(offscreen.length === 0, "columns off-screen at 1280 px: " + offscreen.join(", "));

		// Keyboard: j j Enter opens the second row's item; its page shows every attribute.
		await page.keyboard.press("j");
		await page.keyboard.press("j");
		const chosen = await page.$eval("table.items tbody tr.current th", (th) => th.textContent);
		check(chosen === first[1], `j j highlighted ${chosen}, want ${first[1]}`);
		await Promise.all([page.waitForURL(/\/item\//), page.keyboard.press("Enter")]);
		check((await page.textContent("h1")).includes(chosen), "item page heading lacks its itemID");
		const attrs = await page.$$eval("table.attrs > tbody > tr > th", (t) => t.map((x) => x.textContent));
		check(attrs[0] === "itemID" && attrs.includes("price"), "item attributes: " + attrs.join(", "));
		check((await page.textContent("pre.ddb-json")).includes('"itemID"'), "item page lacks its DynamoDB JSON");
		await page.screenshot({ path: path.join(shots, "screenshot-item.png"), fullPage: true });
		await page.goBack();
		await page.waitForSelector("table.items tbody tr");

		// Sorting the page (JS enhancement) by a column header button.
		await page.getByRole("button", { name: "Sort this page by itemID" }).click();
		await page.getByRole("button", { name: "Sort this page by itemID" }).click();
		const sorted = await rowIds(page);
		check(sorted[0] >= sorted[sorted.length - 1], "descending sort did not reorder rows");
		check(await page.getAttribute("table.items thead th:first-child", "aria-sort") === "descending",
			"aria-sort not set");

		// Next page: a GET link with an opaque cursor.
		const next = page.locator("a[rel=next]");
		check(await next.count() === 1, "no next-page link on the first page");
		await Promise.all([page.waitForURL(/cursor=/), next.click()]);
		await page.waitForSelector("table.items tbody tr");
		const second = await rowIds(page);
		facts.page2 = second.length;
		check(second.length > 0, "second page is empty");
		const overlap = second.filter((id) => first.includes(id));
		check(overlap.length === 0, "second page repeats items: " + overlap.slice(0, 3));
		await page.screenshot({ path: path.join(shots, "screenshot-page2.png") });

		// Every item once: follow next links to the end.
		const all = new Set(first.concat(second));
		for (let i = 0; i < 20 && (await page.locator("a[rel=next]").count()) === 1; i++) {
			await Promise.all([page.waitForURL(/cursor=/), page.locator("a[rel=next]").click()]);
			(await rowIds(page)).forEach((id) => all.add(id));
		}
		facts.total = all.size;
		check(all.size === 300, `paging reached ${all.size} distinct items, want 300`);
		check((await page.textContent(".stats")).includes("end of table"), "last page does not say end of table");

		// Filter box: only matching items.
		await page.fill("#q", "item-02");
		await Promise.all([page.waitForURL(/q=item-02/), page.press("#q", "Enter")]);
		const filtered = await rowIds(page);
		facts.filtered = filtered.length;
		check(filtered.length === 100 && filtered.every((id) => id.startsWith("item-02")),
			`filter item-02 shows ${filtered.length} items`);

		// An attribute filter: stock < 100, a number.
		await page.goto(base + "/query");
		await page.fill("input[name=attr]", "stock");
		await page.selectOption("select[name=op]", "lt");
		await page.selectOption("select[name=type]", "number");
		await page.fill("input[name=value]", "100");
		await Promise.all([page.waitForURL(/attr=stock/), page.getByRole("button", { name: "Scan" }).click()]);
		await page.waitForSelector(".stats");
		check((await page.textContent(".stats")).includes("where stock < 100"), "stats do not say the filter");
		const stock = await page.$eval("table.items", (t) => {
			const heads = Array.from(t.tHead.rows[0].cells).map((c) => c.textContent);
			const i = heads.indexOf("stock");
			return Array.from(t.tBodies[0].rows).map((r) => Number(r.cells[i].textContent));
		});
		facts.attrFiltered = stock.length;
		check(stock.length > 0 && stock.every((v) => v < 100), "stock filter shows " + stock.slice(0, 5));

		// Hide a column: it goes from the table and the URL keeps the choice.
		await page.click("details.columns summary");
		await page.uncheck('details.columns input[value="name"]');
		await Promise.all([page.waitForURL(/col=/), page.getByRole("button", { name: "Scan" }).click()]);
		const shown = await page.$$eval("table.items thead th", (t) => t.map((x) => x.textContent));
		check(shown[0] === "itemID" && !shown.includes("name") && shown.includes("price"),
			"columns after hiding name: " + shown.join(", "));
		await page.reload();
		check(!(await page.$$eval("table.items thead th", (t) => t.map((x) => x.textContent))).includes("name"),
			"a reload shows the hidden column again");

		// Downloads: the NDJSON and CSV exports of a filter, as a browser fetches them.
		const nd = await page.request.get(base + "/export.ndjson?q=item-000");
		check(nd.status() === 200 && /attachment; filename=".*\.ndjson"/.test(nd.headers()["content-disposition"]),
			"ndjson export: " + nd.status());
		const lines = (await nd.text()).trim().split("\n");
		check(lines.length === 9 && lines.every((l) => JSON.parse(l).itemID.S.startsWith("item-000")),
			`ndjson export of item-000 has ${lines.length} lines`);
		const csv = await page.request.get(base + "/export.csv?q=item-000");
		const rows = (await csv.text()).trim().split("\r\n");
		check(csv.status() === 200 && rows[0].startsWith("itemID,") && rows.length === 10,
			`csv export: ${csv.status()}, ${rows.length} rows`);

		// A tampered cursor is a 400 page, not a crash.
		const before = problems.length;   /* the 400 below is expected, not a problem */
		const bad = await page.goto(base + "/query?cursor=AAAAtampered");
		check(bad.status() === 400, `tampered cursor answered ${bad.status()}`);
		check((await page.textContent("h1")).length > 0, "400 page has no heading");
		problems.length = before;

		// A phone: the page fits the width, the table scrolls inside its box.
		await page.setViewportSize({ width: 390, height: 844 });
		await page.goto(base + "/query?limit=25");
		const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
		check(fits, "page is wider than a phone screen");
		await page.screenshot({ path: path.join(shots, "screenshot-phone.png") });

		// Dark mode.
		await page.setViewportSize({ width: 1280, height: 800 });
		await page.emulateMedia({ colorScheme: "dark" });
		await page.goto(base + "/query?limit=50");
		await page.screenshot({ path: path.join(shots, "screenshot-dark.png") });

		check(problems.length === 0, "problems while browsing:\n  " + problems.join("\n  "));
		process.stdout.write(JSON.stringify(Object.assign({ ok: true }, facts)) + "\n");
	} finally {
		await context.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
}

main().catch((e) => {
	process.stderr.write("browser test failed: " + (e && e.stack ? e.stack : e) + "\n");
	process.exit(1);
});
