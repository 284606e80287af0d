// Riffle's progressive enhancement. Every page works without this script; with it: live
// "N new posts" from the server-sent streams, infinite scroll, the composer's character count,
// resumable uploads (tus) with their progress and drafts that survive a reload, keyboard shortcuts, and the filter of the
// API reference. No framework, no build step, no inline script (the CSP forbids it).
"use strict";

(function () {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // Live: count what arrives on the stream, offer to show it.
  function live() {
    const banner = $("[data-live]");
    if (!banner || !window.EventSource) return;
    const source = new EventSource(banner.dataset.live);
    let count = 0;
    const seen = new Set($$("[data-post]").map((el) => el.dataset.post));
    const bump = (event) => {
      try {
        const item = JSON.parse(event.data);
        if (item && item.id && seen.has(item.id)) return;
        if (item && item.id) seen.add(item.id);
      } catch (_) { /* a group without an id is still news */ }
      count += 1;
      $(".count", banner).textContent = String(count);
      banner.hidden = false;
    };
    source.addEventListener("post", bump);
    source.addEventListener("group", bump);
    source.addEventListener("end", () => source.close());
  }

  // Infinite scroll: fetch the next page's HTML when its link comes into view.
  function infinite() {
    const stream = $("[data-stream]");
    if (!stream || !window.IntersectionObserver) return;
    const observer = new IntersectionObserver(async (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const link = entry.target;
        observer.unobserve(link);
        const response = await fetch(link.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const more = $("[data-stream]", page);
        if (more) Array.from(more.children).forEach((child) => stream.appendChild(document.adoptNode(child)));
        const next = $("a[data-infinite]", page);
        if (next) { link.href = next.href; observer.observe(link); } else { link.parentElement.remove(); }
      }
    }, { rootMargin: "600px" });
    $$("a[data-infinite]").forEach((link) => observer.observe(link));
  }

  // The composer: characters left, drafts kept in this browser, upload progress.
  function composer() {
    for (const form of $$("form.composer")) {
      const area = $("textarea", form);
      const counter = $(".count span", form);
      const key = "riffle:draft:" + form.dataset.draft;
      const max = Number(area.dataset.max);
      const update = () => {
        const left = max - Array.from(area.value).length;
        counter.textContent = String(left);
        counter.parentElement.classList.toggle("over", left < 0);
      };
      if (!area.value && localStorage.getItem(key)) area.value = localStorage.getItem(key);
      update();
      area.addEventListener("input", () => { update(); localStorage.setItem(key, area.value); });
      form.addEventListener("submit", async (event) => {
        const rows = $$("input[type=file]", form).filter((input) => input.files.length > 0);
        if (rows.length === 0 || !window.fetch) {
          localStorage.removeItem(key);
          return;
        }
        // With files, upload each resumably first (tus, through the web app), then send the
        // form with the media ids in place of the files.
        event.preventDefault();
        const progress = $("progress", form);
        progress.hidden = false;
        const total = rows.reduce((sum, input) => sum + input.files[0].size, 0);
        let sent = 0;
        const data = new FormData(form);
        data.delete("file");
        data.delete("alt");
        try {
          for (const input of $$("input[type=file]", form)) {
            const alt = input.closest(".row").querySelector("input[name=alt]");
            if (input.files.length === 0) continue;
            const id = await upload(input.files[0], (n) => { progress.value = Math.round((100 * (sent + n)) / total); });
            sent += input.files[0].size;
            data.append("media_id", id);
            data.append("alt", alt ? alt.value : "");
          }
          const response = await fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
          if (response.ok) {
            localStorage.removeItem(key);
            window.location.href = response.url;
          } else {
            document.open(); document.write(await response.text()); document.close();
          }
        } catch (error) {
          progress.hidden = true;
          alert(String(error));
        }
      });
    }
  }

  const csrf = () => $("meta[name=csrf-token]").content;
  const tusHeaders = (extra) => ({ "Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf(), ...extra });
  const b64 = (text) => btoa(unescape(encodeURIComponent(text)));

  // One file, by tus: the upload's address is kept in this browser, so sending the same file
  // again (after a failure or a reload) resumes where the server says it stopped.
  async function upload(file, onProgress) {
    const remembered = "riffle:upload:" + [file.name, file.size, file.lastModified].join(":");
    let url = localStorage.getItem(remembered);
    let offset = 0;
    if (url) {
      const head = await fetch(url, { method: "HEAD", headers: tusHeaders({}), credentials: "same-origin" });
      if (head.ok) offset = Number(head.headers.get("Upload-Offset"));
      else url = null;
    }
    if (!url) {
      const created = await fetch("/uploads", {
        method: "POST",
        credentials: "same-origin",
        headers: tusHeaders({
          "Upload-Length": String(file.size),
          "Upload-Metadata": `filename ${b64(file.name)},filetype ${b64(file.type || "application/octet-stream")}`,
        }),
      });
      if (created.status !== 201) throw new Error(`the upload was refused (${created.status})`);
      url = created.headers.get("Location");
      localStorage.setItem(remembered, url);
    }
    const chunk = 1024 * 1024;
    let failures = 0;
    for (;;) {
      const part = file.slice(offset, Math.min(file.size, offset + chunk));
      let response;
      try {
        response = await fetch(url, {
          method: "PATCH",
          credentials: "same-origin",
          headers: tusHeaders({ "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" }),
          body: part,
        });
      } catch (_) {
        response = null;
      }
      if (response && response.status === 204) {
        offset = Number(response.headers.get("Upload-Offset"));
        onProgress(offset);
        const id = response.headers.get("Riffle-Media-Id");
        if (id) { localStorage.removeItem(remembered); return id; }
        failures = 0;
        continue;
      }
      if (response && response.status >= 400 && response.status < 500 && response.status !== 409) {
        localStorage.removeItem(remembered);
        throw new Error(`the upload was refused (${response.status})`);
      }
      // A lost connection or a wrong offset: ask the server where it stands and go on.
      if (++failures > 5) throw new Error("the upload keeps failing; try again later");
      await new Promise((r) => setTimeout(r, 500 * failures));
      const head = await fetch(url, { method: "HEAD", headers: tusHeaders({}), credentials: "same-origin" });
      if (head.ok) offset = Number(head.headers.get("Upload-Offset"));
    }
  }

  // Keyboard shortcuts, as Mastodon has them.
  function keyboard() {
    let pending = null;
    const posts = () => $$("article.post");
    const current = () => posts().indexOf(document.activeElement.closest ? document.activeElement.closest("article.post") : null);
    const focus = (i) => {
      const list = posts();
      if (list.length === 0) return;
      const target = list[Math.max(0, Math.min(list.length - 1, i))];
      list.forEach((p) => p.classList.remove("current"));
      target.classList.add("current");
      target.focus();
    };
    document.addEventListener("keydown", (event) => {
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
      if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key;
      if (pending === "g") {
        pending = null;
        if (key === "h") window.location.href = "/home";
        if (key === "n") window.location.href = "/notifications";
        return;
      }
      const here = posts()[current()];
      switch (key) {
        case "j": focus(current() + 1); break;
        case "k": focus(current() - 1); break;
        case "g": pending = "g"; return;
        case "n": {
          const area = $("form.composer textarea");
          if (area) area.focus(); else window.location.href = "/compose";
          break;
        }
        case "r": if (here) { const reply = $("a[data-action=reply]", here); if (reply) reply.click(); } break;
        case "l": if (here) { const like = $("button.like", here); if (like) like.click(); } break;
        case "/": { const q = $("#q"); if (q) q.focus(); break; }
        case "?": { const help = $("#help"); if (help && help.showModal) help.showModal(); break; }
        default: return;
      }
      event.preventDefault();
    });
    $$("[data-help]").forEach((b) => b.addEventListener("click", () => $("#help").showModal()));
  }

  // The API reference's filter.
  function filter() {
    const box = $("[data-filter]");
    if (!box) return;
    box.addEventListener("input", () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const el of $$(box.dataset.filter)) {
        const text = el.textContent.toLowerCase();
        el.hidden = !words.every((w) => text.includes(w));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => { live(); infinite(); composer(); keyboard(); filter(); });
})();
