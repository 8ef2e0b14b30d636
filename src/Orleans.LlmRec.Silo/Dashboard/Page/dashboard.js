// The operators' dashboard: one EventSource (/dashboard/stream) brings every host's per-second samples; the page keeps
// the last WINDOW seconds and redraws small SVG line charts. No library, no CDN: this file is the whole client.
"use strict";
const WINDOW = 300;
const COLORS = ["#4fb3ff", "#ffb44f", "#5fdc8f", "#ff6b6b", "#c18cff", "#f5e663", "#6ee7e7", "#ff8fd0"];
const hosts = new Map();      // address -> { view, samples: [{t, v, busiest}] }
const grainHistory = new Map(); // address -> [{t, v}] active user grains (per message)
let lastSnapshotAt = 0;

const $ = (id) => document.getElementById(id);
const fmt = (v, digits = 1) => v === undefined || v === null || Number.isNaN(v) ? "–" :
  Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en") : (+v).toFixed(Math.abs(v) < 10 ? digits : 0);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const shortHost = (a) => a.split("@")[0];

function onSnapshot(snapshot) {
  const now = Date.parse(snapshot.at);
  lastSnapshotAt = now;
  for (const view of snapshot.hosts) {
    let host = hosts.get(view.address);
    if (!host) hosts.set(view.address, host = { view, samples: [] });
    host.view = view;
    const newest = host.samples.length ? host.samples[host.samples.length - 1].t : 0;
    for (const s of view.samples) {
      const t = Date.parse(s.at);
      if (t > newest) host.samples.push({ t, v: s.values, busiest: s.busiest || [] });
    }
    while (host.samples.length && host.samples[0].t < now - WINDOW * 1000) host.samples.shift();
    if (view.role === "silo") {
      const h = grainHistory.get(view.address) || [];
      h.push({ t: now, v: view.status === "Active" ? (view.userGrains ?? 0) : 0 });
      while (h.length && h[0].t < now - WINDOW * 1000) h.shift();
      grainHistory.set(view.address, h);
    }
  }
  for (const [address, host] of hosts) {
    if (!snapshot.hosts.some((v) => v.address === address) && (!host.samples.length || host.samples[host.samples.length - 1].t < now - WINDOW * 1000)) hosts.delete(address);
  }
  render();
}

// The cluster's series for a key: per second, summed over hosts (mode "sum") or the largest host value ("max").
function series(key, mode = "sum") {
  const bySecond = new Map();
  for (const host of hosts.values()) {
    for (const s of host.samples) {
      const v = s.v[key];
      if (v === undefined) continue;
      const second = Math.floor(s.t / 1000) * 1000;
      const old = bySecond.get(second);
      bySecond.set(second, old === undefined ? v : mode === "max" ? Math.max(old, v) : old + v);
    }
  }
  // The newest second is left out: hosts sample at their own phase, so not all of them have reported it yet.
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).slice(0, -1).map(([t, v]) => ({ t, v }));
}

function combine(a, b, f) {
  const other = new Map(b.map((p) => [p.t, p.v]));
  return a.filter((p) => other.has(p.t)).map((p) => ({ t: p.t, v: f(p.v, other.get(p.t)) }));
}

function recent(points, seconds) {
  const from = lastSnapshotAt - seconds * 1000;
  const inWindow = points.filter((p) => p.t > from);
  return inWindow.length ? inWindow.reduce((s, p) => s + p.v, 0) / inWindow.length : undefined;
}

const CHARTS = {
  userGrains: () => ({ title: "Active user grains per silo", lines: [...grainHistory.entries()].map(([a, pts]) => ({ name: shortHost(a), points: pts })) }),
  activations: () => ({ title: "Grain activations / deactivations per s", lines: [
    { name: "activations", points: series("activations") }, { name: "deactivations", points: series("deactivations") }] }),
  feeds: () => ({ title: "Feeds per s by source", lines: [
    { name: "model", points: series("feedsModel") }, { name: "reranked", points: series("feedsReranked") },
    { name: "fallback", points: series("feedsFallback") }] }),
  feedLatency: () => ({ title: "Feed latency ms (worst host)", lines: [
    { name: "p50", points: series("feeds.p50Ms", "max") }, { name: "p99", points: series("feeds.p99Ms", "max") }] }),
  feedLatencyBySource: () => ({ title: "Feed latency ms by source, p50 / p99 (worst host)", lines: ["model", "reranked", "fallback"].flatMap((source) => [
    { name: `${source} p50`, points: series(`feeds.${source}.p50Ms`, "max") }, { name: `${source} p99`, points: series(`feeds.${source}.p99Ms`, "max") }]) }),
  degraded: () => {
    const total = combine(combine(series("feedsModel"), series("feedsReranked"), (a, b) => a + b), series("feedsFallback"), (a, b) => a + b);
    return { title: "Degraded and fallback share of feeds %", lines: [
      { name: "degraded", points: combine(series("feedsDegraded"), total, (d, t) => t > 0 ? 100 * d / t : 0) },
      { name: "fallback", points: combine(series("feedsFallback"), total, (d, t) => t > 0 ? 100 * d / t : 0) }] };
  },
  httpStatus: () => ({ title: "304 Not Modified and 5xx errors per s", lines: [
    { name: "304", points: series("feedsNotModified") }, { name: "5xx", points: series("httpServerErrors") }] }),
  events: () => ({ title: "Events applied per s by path", lines: [
    { name: "HTTP", points: series("eventsApplied") }, { name: "stream", points: series("streamApplied") }] }),
  eventProblems: () => ({ title: "Duplicates, refused batches, dead-lettered per s", lines: [
    { name: "duplicates", points: combine(series("eventsDuplicate"), series("streamDuplicates"), (a, b) => a + b) },
    { name: "refused", points: series("batchesRefused") }, { name: "dead-lettered", points: series("streamDeadLettered") }] }),
  streamLag: () => ({ title: "Stream lag: pending entries, oldest age s", lines: [
    { name: "pending", points: series("stream.pending", "max") }, { name: "oldest age s", points: series("stream.oldestAgeSeconds", "max") }] }),
  freshness: () => ({ title: "Click-to-feed freshness ms: event applied → first feed reflecting it (worst host)", lines: [
    { name: "p50", points: series("freshness.p50Ms", "max") }, { name: "p99", points: series("freshness.p99Ms", "max") }] }),
  llmCalls: () => ({ title: "LLM calls per s by outcome", lines: [
    { name: "success", points: series("llmSuccess") }, { name: "failure", points: series("llmFailure") },
    { name: "rejected answer", points: series("llmRejectedAnswer") }, { name: "cache hits", points: series("llmCacheHits") }] }),
  llmLatency: () => ({ title: "LLM latency ms (worst host)", lines: [
    { name: "p50", points: series("llm.p50Ms", "max") }, { name: "p99", points: series("llm.p99Ms", "max") }] }),
  llmQueue: () => ({ title: "LLM queue depth and shed jobs per s", lines: [
    { name: "queue depth", points: series("llm.queueDepth") }, { name: "shed", points: series("llmShed") }] }),
  llmTokens: () => ({ title: "LLM tokens per minute", lines: [
    { name: "input", points: series("llmTokensInput").map((p) => ({ t: p.t, v: p.v * 60 })) },
    { name: "output", points: series("llmTokensOutput").map((p) => ({ t: p.t, v: p.v * 60 })) }] }),
  scorerBatches: () => ({ title: "Scorer batches and requests per s", lines: [
    { name: "batches", points: series("scorer.batches") }, { name: "requests", points: series("scorer.requests") }] }),
  scorerBatchSize: () => ({ title: "Scorer batch size (mean, largest so far)", lines: [
    { name: "mean", points: series("scorer.meanBatch", "max") }, { name: "largest", points: series("scorer.largestBatch", "max") }] }),
  scorerLatency: () => ({ title: `Scorer batch latency ms (worst host; ${providers() || "no scorer"})`, lines: [
    { name: "p50", points: series("scorer.p50Ms", "max") }, { name: "p99", points: series("scorer.p99Ms", "max") }] }),
};

// The scorers' execution providers across silos: "CPU", "CUDA" or "CPU, CUDA".
function providers() {
  const names = new Set([...hosts.values()].map((h) => (h.view.scorerProvider ?? "").replace("ExecutionProvider", "")).filter((p) => p));
  return [...names].sort().join(", ");
}

function drawChart(figure, spec) {
  const w = 400, h = 130, left = 34, bottom = 14;
  const end = lastSnapshotAt || Date.now(), start = end - WINDOW * 1000;
  let max = 0;
  for (const line of spec.lines) for (const p of line.points) if (p.t >= start) max = Math.max(max, p.v);
  max = max <= 0 ? 1 : niceCeiling(max);
  const x = (t) => left + (w - left - 4) * (t - start) / (end - start);
  const y = (v) => 4 + (h - bottom - 4) * (1 - v / max);
  let svg = `<svg viewBox="0 0 ${w} ${h}" preserveAspectRatio="none">`;
  for (const f of [0, 0.5, 1]) svg += `<line x1="${left}" x2="${w}" y1="${y(max * f)}" y2="${y(max * f)}" stroke="#2a3441"/><text x="${left - 3}" y="${y(max * f) + 3}" text-anchor="end">${fmt(max * f)}</text>`;
  svg += `<text x="${left}" y="${h - 2}">−${WINDOW / 60} min</text><text x="${w - 2}" y="${h - 2}" text-anchor="end">now</text>`;
  spec.lines.forEach((line, i) => {
    const pts = line.points.filter((p) => p.t >= start).map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    if (pts.length) svg += `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.6" points="${pts.join(" ")}"/>`;
  });
  svg += "</svg>";
  const legend = spec.lines.map((line, i) => {
    return `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(line.name)} <b>${fmt(recent(line.points, 5))}</b></span>`;
  }).join("");
  figure.innerHTML = `<figcaption>${esc(spec.title)} <small>(legend: mean of the last 5 s)</small></figcaption>${svg}<div class="legend">${legend}</div>`;
}

function niceCeiling(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function render() {
  for (const figure of document.querySelectorAll("figure[data-chart]")) drawChart(figure, CHARTS[figure.dataset.chart]());
  const silos = [...hosts.values()].filter((h) => h.view.role === "silo");
  $("silo-count").textContent = silos.filter((h) => h.view.status === "Active").length;
  $("active-grains").textContent = silos.filter((h) => h.view.status === "Active").reduce((s, h) => s + (h.view.userGrains ?? 0), 0);
  const feeds = combine(combine(series("feedsModel"), series("feedsReranked"), (a, b) => a + b), series("feedsFallback"), (a, b) => a + b);
  $("feed-rate").textContent = fmt(recent(feeds, 5) ?? 0);
  $("feed-p99").textContent = fmt(recent(series("feeds.p99Ms", "max"), 5));
  const circuit = recent(series("llm.circuit", "max"), 2);
  $("circuit").textContent = circuit === undefined ? "–" : ["closed", "open", "half-open"][Math.round(circuit)] ?? circuit;
  $("circuit").className = circuit >= 1 ? "bad" : "ok";
  const priceIn = +$("price-in").value || 0, priceOut = +$("price-out").value || 0;
  const perSecond = (recent(series("llmTokensInput"), 60) ?? 0) * priceIn / 1e6 + (recent(series("llmTokensOutput"), 60) ?? 0) * priceOut / 1e6;
  $("llm-cost").textContent = "$" + (perSecond * 3600).toFixed(2);
  renderHosts();
  renderBusiest();
}

function renderHosts() {
  const rows = [...hosts.values()].map(({ view, samples }) => {
    const last = samples.length ? samples[samples.length - 1].v : {};
    const feeds = (last.feedsModel ?? 0) + (last.feedsReranked ?? 0) + (last.feedsFallback ?? 0);
    const events = (last.eventsApplied ?? 0) + (last.streamApplied ?? 0);
    const status = view.error ? `${view.status} (${view.error})` : view.status;
    return `<tr><td>${esc(view.name)} <small>${esc(shortHost(view.address))}</small></td><td>${esc(view.role)}</td>` +
      `<td class="${view.status === "Active" && !view.error ? "ok" : "bad"}">${esc(status)}</td><td>${esc(view.modelVersion ?? "")}</td>` +
      `<td>${esc((view.scorerProvider ?? "").replace("ExecutionProvider", ""))}</td><td class="num">${view.userGrains ?? ""}</td>` +
      `<td class="num">${fmt(feeds)}</td><td class="num">${fmt(events)}</td></tr>`;
  });
  document.querySelector("#hosts tbody").innerHTML = rows.join("");
}

function renderBusiest() {
  const calls = new Map();
  for (const host of hosts.values()) {
    const last = host.samples[host.samples.length - 1];
    if (!last || last.t < lastSnapshotAt - 3000) continue;
    for (const u of last.busiest) calls.set(u.userId, (calls.get(u.userId) ?? 0) + u.calls);
  }
  const top = [...calls.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  document.querySelector("#busiest tbody").innerHTML = top.length
    ? top.map(([u, n]) => `<tr><td><a href="#" data-user="${esc(u)}">${esc(u)}</a></td><td class="num">${n}</td></tr>`).join("")
    : `<tr><td class="dim">no user grain calls in the last second</td></tr>`;
}

async function inspect(userId) {
  const out = $("inspector");
  out.innerHTML = "loading…";
  const response = await fetch(`/dashboard/api/users/${encodeURIComponent(userId)}`);
  if (!response.ok) {
    out.innerHTML = `<div class="card bad">${response.status}: ${esc(await response.text())}</div>`;
    return;
  }
  const { inspection, feed } = await response.json();
  const user = inspection.user;
  const interactions = user.recentInteractions.slice(0, 15).map((i) =>
    `<tr><td>${esc(i.itemId)}</td><td>${esc(i.type)}${i.value != null ? " " + i.value : ""}</td><td>${esc(new Date(i.timestamp).toISOString())}</td></tr>`).join("");
  const items = feed.items.map((it, n) => {
    const e = it.explanation || {};
    return `<tr><td class="num">${n + 1}</td><td>${esc(it.itemId)}</td><td>${esc(it.title ?? "")}</td><td class="num">${fmt(it.score, 3)}</td>` +
      `<td class="num">${fmt(e.modelScore, 3)}</td><td class="num">${e.rerankScore == null ? "–" : fmt(e.rerankScore, 3)}</td><td>${esc(e.stage)}</td><td class="explain">${esc(e.reason)}</td></tr>`;
  }).join("");
  const reranks = inspection.rerankScores.map((s) => `${esc(s.itemId)} <b>${fmt(s.score, 2)}</b>`).join(", ");
  out.innerHTML = `<div class="grid">
    <div class="card"><b>${esc(user.userId)}</b> on silo <code id="inspected-silo">${esc(inspection.silo)}</code><br>
      ${user.totalInteractions} interactions · embedding from model ${esc(user.embeddingModelVersion ?? "–")}
      <h3>Profile <small>(${esc(user.profileSource ?? "none")}, v${inspection.profileVersion}${user.profileUpdatedAt ? ", " + esc(user.profileUpdatedAt) : ""})</small></h3>
      <pre>${esc(user.profile ?? "no profile yet")}</pre>
      <h3>Preferences</h3><pre>${esc(user.preferences ?? "none")}</pre>
      <p>Profile changes pending: ${inspection.profilePendingChanges}${inspection.profileRequestedAt ? ", asked at " + esc(inspection.profileRequestedAt) : ""}</p>
      <h3>Last LLM re-rank answer <small>(v${inspection.rerankVersion}${user.rerankUpdatedAt ? ", " + esc(user.rerankUpdatedAt) : ""}; ${inspection.rerankServesCurrentContext ? "current context" : "stale or none"})</small></h3>
      <p>${reranks || "none"}</p>
      <h3>Dislikes</h3><p>${user.dislikedItems.map(esc).join(", ") || "none"}</p>
      <h3>Recent interactions</h3><table><tbody>${interactions || "<tr><td>none</td></tr>"}</tbody></table></div>
    <div class="card"><h3>Current feed <small>(${esc(feed.source)}${feed.degraded ? ", degraded" : ""}, model ${esc(feed.modelVersion ?? "")})</small></h3>
      ${feed.note ? `<p>${esc(feed.note)}</p>` : ""}
      <table id="inspected-feed"><thead><tr><th>#</th><th>item</th><th>title</th><th class="num">score</th><th class="num">model</th><th class="num">LLM</th><th>stage</th><th>why</th></tr></thead><tbody>${items}</tbody></table></div>
  </div>`;
}

$("inspect-form").addEventListener("submit", (e) => { e.preventDefault(); inspect($("inspect-user").value.trim()); });
document.addEventListener("click", (e) => {
  const user = e.target.closest && e.target.closest("a[data-user]");
  if (user) { e.preventDefault(); $("inspect-user").value = user.dataset.user; inspect(user.dataset.user); }
});
for (const id of ["price-in", "price-out"]) {
  const saved = localStorage.getItem("llmrec." + id);
  if (saved !== null) $(id).value = saved;
  $(id).addEventListener("change", () => { localStorage.setItem("llmrec." + id, $(id).value); render(); });
}

const source = new EventSource("/dashboard/stream");
source.addEventListener("cluster", (e) => {
  $("conn-status").textContent = "live";
  $("conn-status").className = "status live";
  onSnapshot(JSON.parse(e.data));
});
source.onerror = async () => {
  $("conn-status").textContent = "reconnecting…";
  $("conn-status").className = "status";
  // A stream refused or ended by an expired login session: back to the login page (only where access control is on).
  const session = await fetch("/dashboard/session", { credentials: "same-origin" }).catch(() => null);
  if (session && session.status === 401) location.replace("/dashboard/login");
  else if (source.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), 5000);
};
$("logout").addEventListener("click", async () => {
  await fetch("/dashboard/logout", { method: "POST", credentials: "same-origin" });
  location.replace("/dashboard/login");
});
