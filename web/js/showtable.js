/* showtable.js — optional comforts on top of pages that work without it: sort the rows of
 * the page shown by clicking (or pressing Enter on) a column header, "/" jumps to the
 * filter box, j/k (or the arrows, once a row is chosen) move between rows and Enter opens
 * the item, a value cut short shows whole on hover and unfolds on a click, and the Scan
 * button shows it is busy instead of inviting a second click. */
(function () {
	"use strict";

	/* Sort key of a cell: numbers by value for number cells, text otherwise. */
	function cellKey(cell) {
		if (!cell) return { empty: true, text: "" };
		var text = cell.textContent;
		if (cell.classList.contains("n") && !cell.classList.contains("set")) {
			var v = Number(text);
			if (!isNaN(v)) return { num: v, text: text };
		}
		return { text: text, empty: cell.classList.contains("missing") };
	}

	function compare(a, b) {
		if (a.empty !== b.empty) return a.empty ? 1 : -1;   /* missing values last */
		if (a.num !== undefined && b.num !== undefined) return a.num - b.num;
		return a.text.localeCompare(b.text, undefined, { numeric: true });
	}

	function makeSortable(table) {
		var heads = table.querySelectorAll("thead th");
		var body = table.tBodies[0];
		if (!body) return;
		Array.prototype.forEach.call(heads, function (th, col) {
			var button = document.createElement("button");
			button.type = "button";
			button.className = "sort";
			button.textContent = th.textContent;
			button.setAttribute("aria-label", "Sort this page by " + th.textContent);
			th.textContent = "";
			th.appendChild(button);
			button.addEventListener("click", function () {
				var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
				Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
				th.setAttribute("aria-sort", dir);
				var rows = Array.prototype.slice.call(body.rows);
				var keyed = rows.map(function (row, i) {
					return { row: row, key: cellKey(row.cells[col]), i: i };
				});
				keyed.sort(function (x, y) {
					var c = compare(x.key, y.key);
					if (dir === "descending" && !(x.key.empty || y.key.empty)) c = -c;
					return c || x.i - y.i;
				});
				var frag = document.createDocumentFragment();
				keyed.forEach(function (k) { frag.appendChild(k.row); });
				body.appendChild(frag);
			});
		});
	}

	function busyOnSubmit(form) {
		var button = form.querySelector("button[type=submit]");
		if (!button) return;
		var label = button.textContent;
		form.addEventListener("submit", function () {
			/* Mark busy after the browser has taken the submission. */
			setTimeout(function () {
				button.setAttribute("aria-busy", "true");
				button.textContent = "Scanning…";
			}, 0);
		});
		/* Coming back with the Back button restores the page from cache: reset it. */
		window.addEventListener("pageshow", function () {
			button.removeAttribute("aria-busy");
			button.textContent = label;
		});
	}

	function slashFocusesFilter() {
		var q = document.getElementById("q");
		if (!q) return;
		document.addEventListener("keydown", function (e) {
			if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
			var t = e.target;
			if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
			e.preventDefault();
			q.focus();
			q.select();
		});
		q.setAttribute("aria-keyshortcuts", "/");
		if (!q.placeholder || q.placeholder === "any item") q.placeholder = "any item — press / to filter";
	}

	function typing(t) {
		return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName));
	}

	/* j/k or Down/Up move a highlight between rows (arrows only once a row is chosen, so they
	 * still scroll the page otherwise); Enter opens the highlighted row's item. */
	function rowKeys(table) {
		var body = table.tBodies[0];
		if (!body) return;
		var current = -1;
		function go(i) {
			var rows = body.rows;
			if (!rows.length) return;
			i = Math.max(0, Math.min(rows.length - 1, i));
			if (current >= 0 && rows[current]) rows[current].classList.remove("current");
			current = i;
			rows[i].classList.add("current");
			rows[i].scrollIntoView({ block: "nearest" });
		}
		document.addEventListener("keydown", function (e) {
			if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
			var k = e.key;
			if (k === "j" || (k === "ArrowDown" && current >= 0)) { go(current + 1); e.preventDefault(); }
			else if (k === "k" || (k === "ArrowUp" && current >= 0)) { go(current - 1); e.preventDefault(); }
			else if (k === "Enter" && current >= 0 && (!e.target || e.target === document.body)) {
				var link = body.rows[current] && body.rows[current].querySelector("th a");
				if (link) { e.preventDefault(); window.location.href = link.href; }
			}
		});
		table.setAttribute("aria-keyshortcuts", "j k Enter");
	}

	/* A cell whose value is cut short: its whole text as the tooltip, a click unfolds it. */
	function cutValues(table) {
		table.addEventListener("mouseover", function (e) {
			var cell = e.target.closest && e.target.closest("td, th");
			if (cell && !cell.title && cell.scrollWidth > cell.clientWidth + 1) cell.title = cell.textContent;
		});
		table.addEventListener("click", function (e) {
			var cell = e.target.closest && e.target.closest("tbody td");
			if (cell && (cell.classList.contains("open") || cell.scrollWidth > cell.clientWidth + 1))
				cell.classList.toggle("open");
		});
	}

	function start() {
		Array.prototype.forEach.call(document.querySelectorAll("table.items"), makeSortable);
		Array.prototype.forEach.call(document.querySelectorAll("table.items"), rowKeys);
		Array.prototype.forEach.call(document.querySelectorAll("table.items"), cutValues);
		Array.prototype.forEach.call(document.querySelectorAll("form.filter"), busyOnSubmit);
		slashFocusesFilter();
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
	else start();
})();
