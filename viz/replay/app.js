// The replay page's own script: it keeps a graphology graph in step with the
// slider (sigma.js draws it) and the time series' cursor (uPlot draws it).
// All drawing is the libraries'; this file only decides what is shown.
(function () {
  "use strict";
  const D = window.P2P_REPLAY;
  const $ = (id) => document.getElementById(id);
  const LAN = ["#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#bcbd22", "#7f7f7f", "#e377c2",
    "#393b79", "#637939", "#8c6d31", "#7b4173"];
  const PART = ["#1f77b4", "#d62728", "#ff7f0e", "#9467bd"];
  const HOP = ["#000000", "#08306b", "#2171b5", "#4292c6", "#41ab5d", "#a1d99b", "#fdae6b", "#f16913", "#d94801", "#7f2704"];
  const SIPHON = "#ff7f0e", STOPPED = "#c8c8c8", WAITING = "#ececec", UNREACHED = "#bdbdbd";
  // A broadcast's nodes as the PNG pictures mark them (viz/broadcast.go):
  // owed it and never got it; not owed it (down or restarted since the
  // send, started after it, siphoners, another network key).
  const MISSED = "#d55e00", NOTOWED = "#e4e4e4";
  const EDGE = "#b8c4d0", CROSS = "#e7969c", TREE = "#d62728";
  const sec = (ms) => (ms / 1000).toFixed(ms < 10000 ? 3 : 1) + " s";

  const graph = new graphology.MultiGraph({ type: "undirected", allowSelfLoops: false });
  const nodes = D.nodes;
  const n = nodes ? nodes.name.length : 0;
  const nodeSize = n <= 50 ? 9 : n <= 300 ? 6 : n <= 2000 ? 4 : 2.5;
  // Per node: running, partition, and the selected broadcast's hop (-1).
  const alive = new Uint8Array(n), part = new Int32Array(n), hop = new Int32Array(n).fill(-1), started = new Int32Array(n);
  let now = 0, bcast = -1, renderer = null, lastDrawn = "";
  // What sigma draws: its reducers read these, and draw() hands it only the
  // nodes and edges whose entry changed, so a step of the slider costs what
  // it changes, not the size of the graph.
  const shownColour = new Array(n).fill(WAITING), shownSize = new Float64Array(n).fill(nodeSize);
  const nodeKey = Array.from({ length: n }, (_, i) => String(i));

  if ($("note") && D.note) { $("note").textContent = D.note; $("note").hidden = false; }
  $("slider").max = String(Math.ceil(D.duration_ms));

  // ---- the graph ----
  if (D.mode === "lans") {
    D.lans.x.forEach((x, k) => graph.addNode("L" + k, {
      x: x, y: D.lans.y[k], size: 4, color: LAN[k % LAN.length], label: D.segments[k] }));
  } else {
    for (let i = 0; i < n; i++) {
      graph.addNode(nodeKey[i], { i: i, x: nodes.x[i], y: nodes.y[i], size: nodeSize, color: WAITING, label: n <= 300 ? nodes.name[i] : "" });
    }
  }
  const crossLAN = (a, b) => nodes && nodes.seg[a] !== nodes.seg[b];
  const linkName = (a, b) => a + "-" + b;
  // Every link the run ever had is in the graph from the start, hidden (by
  // sigma's edge reducer) while it is down: adding and dropping edges would
  // make sigma re-index the whole graph at every step.
  const L = D.links, NE = D.node_events;
  const linkOf = L ? new Int32Array(L.a.length) : null; // per event: its link
  const linkKey = []; // per link: its edge's key
  if (L) {
    const index = new Map();
    for (let k = 0; k < L.a.length; k++) {
      const key = linkName(L.a[k], L.b[k]);
      let i = index.get(key);
      if (i === undefined) {
        i = index.size;
        index.set(key, i);
        linkKey.push(key);
        graph.addEdgeWithKey(key, nodeKey[L.a[k]], nodeKey[L.b[k]], { i: i, color: crossLAN(L.a[k], L.b[k]) ? CROSS : EDGE, size: 1 });
      }
      linkOf[k] = i;
    }
  }
  // Per link: up now, and drawn up; the links whose state moved since the
  // last drawing (each once).
  const vis = new Uint8Array(linkKey.length), shownLink = new Uint8Array(linkKey.length);
  const touchedMark = new Uint8Array(linkKey.length), touched = [];
  let links = 0;
  // Edges replaced wholesale (a snapshot, a broadcast's tree) are added
  // with the renderer away, then a new one made where the old one looked.
  function rebuild(fn) {
    if (!renderer) { fn(); return; }
    const cam = renderer.getCamera().getState();
    renderer.kill();
    fn();
    renderer = makeRenderer();
    renderer.getCamera().setState(cam);
  }
  const addLink = (a, b) => {
    const key = linkName(a, b);
    if (!graph.hasEdge(key)) graph.addEdgeWithKey(key, nodeKey[a], nodeKey[b], { color: crossLAN(a, b) ? CROSS : EDGE, size: 1 });
  };

  // ---- the overlay at time t ----
  // Link mode: cursors into the link and node event logs, moved forward or
  // backward (every event undone exactly: links toggle, node events keep
  // the state before them).
  let li = 0, ni = 0;
  const prevAlive = NE ? new Uint8Array(NE.at.length) : null, prevPart = NE ? new Int32Array(NE.at.length) : null;
  // Node event k on a node running (a) or not: running after it? A start
  // runs it, a partition (kind 3) keeps it as it was, the rest stop it.
  const runsAfter = (k, a) => NE.kind[k] === 0 || (NE.kind[k] === 3 && a) ? 1 : 0;
  if (NE) {
    const a = new Uint8Array(n), p = new Int32Array(n);
    for (let k = 0; k < NE.at.length; k++) {
      const i = NE.node[k];
      prevAlive[k] = a[i]; prevPart[k] = p[i];
      a[i] = runsAfter(k, a[i]); p[i] = NE.part[k];
    }
  }
  function applyNode(k, forward) {
    const i = NE.node[k];
    if (NE.kind[k] === 0) started[i] += forward ? 1 : -1;
    if (forward) { alive[i] = runsAfter(k, alive[i]); part[i] = NE.part[k]; }
    else { alive[i] = prevAlive[k]; part[i] = prevPart[k]; }
  }
  function applyLink(k, forward) {
    const up = (L.up[k] === 1) === forward ? 1 : 0, i = linkOf[k];
    links += up - vis[i];
    vis[i] = up;
    if (!touchedMark[i]) { touchedMark[i] = 1; touched.push(i); }
  }
  let snapShown = -2;
  function snapshotAt(t) {
    let k = -1;
    for (let j = 0; j < D.snapshots.length; j++) if (D.snapshots[j].at <= t) k = j;
    return k;
  }
  function showSnapshot(k) {
    if (k === snapShown) return;
    snapShown = k;
    rebuild(() => showSnapshotEdges(k));
  }
  function showSnapshotEdges(k) {
    // The selected broadcast's tree ("T" edges) stays.
    graph.filterEdges((e) => e[0] !== "T").forEach((e) => graph.dropEdge(e));
    if (k < 0) { alive.fill(0); return; }
    const s = D.snapshots[k];
    if (D.mode === "lans") {
      let maxW = 1;
      s.w.forEach((w, j) => { if (s.a[j] !== s.b[j]) maxW = Math.max(maxW, w); });
      s.a.forEach((a, j) => {
        if (a === s.b[j]) return;
        graph.addEdge("L" + a, "L" + s.b[j], { size: 0.5 + 4 * s.w[j] / maxW, color: CROSS, label: s.w[j] + " links" });
      });
      return;
    }
    s.states.forEach((st, i) => { alive[i] = st === 1 || st === 3 ? 1 : 0; part[i] = st === 3 ? 1 : 0; started[i] = st === 0 ? 0 : 1; });
    s.a.forEach((a, j) => addLink(Math.min(a, s.b[j]), Math.max(a, s.b[j])));
  }
  function moveTo(t) {
    if (D.mode === "links") {
      while (ni < NE.at.length && NE.at[ni] <= t) applyNode(ni++, true);
      while (ni > 0 && NE.at[ni - 1] > t) applyNode(--ni, false);
      while (li < L.at.length && L.at[li] <= t) applyLink(li++, true);
      while (li > 0 && L.at[li - 1] > t) applyLink(--li, false);
    } else if (D.snapshots) {
      showSnapshot(snapshotAt(t));
    }
  }

  // ---- the selected broadcast ----
  // Its first-arrival tree: an edge per node it reached from a neighbour,
  // shown once the node has it.
  // treeKey[j]: the edge of arrival j ("" for none); treeShown[j]: drawn.
  let treeKey = [], treeShown = new Uint8Array(0);
  // Per node, of the selected broadcast when spread.json recorded the nodes
  // owed it: 1 missed it (owed, never delivered), 2 not owed it; 0 else.
  const owing = new Uint8Array(n);
  function prepareTree() {
    graph.forEachEdge((e) => { if (e[0] === "T") graph.dropEdge(e); });
    owing.fill(0);
    if (bcast >= 0 && D.broadcasts[bcast].owed_known) {
      const b = D.broadcasts[bcast];
      owing.fill(2);
      if (b.origin >= 0) owing[b.origin] = 0;
      (b.node || []).forEach((i) => { owing[i] = 0; });
      (b.missed || []).forEach((i) => { owing[i] = 1; });
    }
    treeKey = [];
    treeShown = new Uint8Array(0);
    if (bcast < 0 || !D.broadcasts[bcast].node) return;
    const b = D.broadcasts[bcast];
    treeShown = new Uint8Array(b.node.length);
    for (let j = 0; j < b.node.length; j++) {
      treeKey.push(b.from[j] >= 0 ? "T" + b.node[j] : "");
      if (b.from[j] >= 0) graph.addEdgeWithKey(treeKey[j], nodeKey[b.from[j]], nodeKey[b.node[j]], { i: j, color: TREE, size: 2, zIndex: 1, type: treeType });
    }
  }
  // hopsAt fills h with the selected broadcast's hops at t (-1: not yet)
  // and returns the number of its arrivals by t.
  function hopsAt(t, h) {
    h.fill(-1);
    if (bcast < 0) return 0;
    const b = D.broadcasts[bcast];
    let reached = 0;
    if (b.origin >= 0 && t >= b.sent_at) h[b.origin] = 0;
    if (!b.node) return 0;
    for (let j = 0; j < b.node.length && b.at[j] <= t; j++) {
      h[b.node[j]] = b.hop[j];
      reached++;
    }
    return reached;
  }
  const treeUp = (j) => treeKey[j] !== "" && D.broadcasts[bcast].at[j] <= now ? 1 : 0;

  // draw hands sigma what changed since it last drew: the nodes whose
  // colour or size moved, the links that came up or went down, the tree's
  // edges that appeared or went (a partial refresh; sigma re-indexes
  // nothing, except to place the labels of small runs when sizes changed).
  function draw() {
    const changedNodes = [], changedEdges = [];
    let resized = false;
    if (D.mode !== "lans") {
      const st = { alive, part, hop, started };
      for (let i = 0; i < n; i++) {
        const c = colourOf(i, st), s = sizeOf(i, st);
        if (c === shownColour[i] && s === shownSize[i]) continue;
        resized = resized || s !== shownSize[i];
        shownColour[i] = c; shownSize[i] = s;
        changedNodes.push(nodeKey[i]);
      }
    }
    for (const i of touched) {
      touchedMark[i] = 0;
      if (vis[i] !== shownLink[i]) { shownLink[i] = vis[i]; changedEdges.push(linkKey[i]); }
    }
    touched.length = 0;
    for (let j = 0; j < treeKey.length; j++) {
      const up = treeUp(j);
      if (up !== treeShown[j]) { treeShown[j] = up; changedEdges.push(treeKey[j]); }
    }
    if (!renderer || changedNodes.length + changedEdges.length === 0) return;
    renderer.refresh({ partialGraph: { nodes: changedNodes, edges: changedEdges }, skipIndexation: !(resized && n <= 300), schedule: true });
  }

  // ---- colours ----
  // Of node i in the state st (alive, part, hop, started: one entry a node).
  function colourOf(i, st) {
    if (!st.alive[i]) return nodes && st.started[i] > 0 ? STOPPED : WAITING;
    if (bcast >= 0) return st.hop[i] >= 0 ? HOP[Math.min(st.hop[i], HOP.length - 1)] : [UNREACHED, MISSED, NOTOWED][owing[i]];
    if (st.part[i] > 0) return PART[st.part[i] % PART.length];
    if (nodes.siphon[i]) return SIPHON;
    if (D.segments.length > 1) return LAN[nodes.seg[i] % LAN.length];
    return PART[0];
  }
  const sizeOf = (i, st) => st.alive[i] ? nodeSize : nodeSize * 0.6;
  function legend() {
    const items = [];
    if (D.mode === "lans") {
      items.push(["#1f77b4", "one mark per LAN"], [CROSS, "links between LANs"]);
    } else if (bcast >= 0) {
      for (let h = 0; h < 6; h++) items.push([HOP[h], h === 0 ? "origin" : "hop " + h]);
      if (D.broadcasts[bcast].owed_known) {
        items.push([HOP[6], "hop 6+"], [UNREACHED, "not reached yet"], [MISSED, "missed (owed it, never got it)"],
          [NOTOWED, "not owed it (down or restarted since, other)"], [STOPPED, "stopped"], [TREE, "first-arrival tree"]);
      } else {
        items.push([HOP[6], "hop 6+"], [UNREACHED, "not reached (yet)"], [TREE, "first-arrival tree"]);
      }
    } else {
      if (D.segments.length > 1) D.segments.slice(0, LAN.length).forEach((s, k) => items.push([LAN[k], "LAN " + s]));
      else items.push([PART[0], "running"]);
      if (D.segments.length > LAN.length) items.push(["transparent", "+" + (D.segments.length - LAN.length) + " more LANs (colours repeat)"]);
      if (nodes && nodes.siphon.some((x) => x)) items.push([SIPHON, "siphoner"]);
      if (D.events.some((e) => e.kind === "partition")) items.push([PART[1], "partitioned off"]);
      items.push([STOPPED, "stopped"]);
    }
    // Links between LANs keep their colour while a broadcast is shown too.
    if (D.mode !== "lans" && D.segments.length > 1) items.push([CROSS, "link between LANs"]);
    $("legend").innerHTML = "";
    for (const [c, label] of items) {
      const s = document.createElement("span"), dot = document.createElement("i");
      dot.style.background = c; s.append(dot, label); $("legend").append(s);
    }
  }

  // ---- the page at time t ----
  function setTime(t) {
    now = Math.max(0, Math.min(t, D.duration_ms));
    moveTo(now);
    const reached = hopsAt(now, hop);
    // Most small steps of play pass no event: nothing to draw.
    const drawn = [li, ni, snapShown, bcast, reached].join();
    if (drawn !== lastDrawn) {
      draw();
      lastDrawn = drawn;
    }
    let running = 0;
    if (D.mode === "lans") {
      const s = snapShown >= 0 ? D.snapshots[snapShown] : null;
      graph.forEachNode((key, attr) => {
        const k = +key.slice(1), a = s ? s.alive[k] : 0;
        running += a;
        graph.mergeNodeAttributes(key, { size: 3 + 12 * Math.sqrt(a / Math.max(1, D.lans.nodes[k])), label: D.segments[k] + " (" + a + ")" });
      });
    } else {
      for (let i = 0; i < n; i++) running += alive[i];
    }
    $("alive").textContent = String(running);
    const linkCount = D.mode === "links" ? links : graph.size - graph.filterEdges((e) => e[0] === "T").length;
    $("links").textContent = D.mode === "lans" ? "–" : String(linkCount);
    $("reached-box").hidden = bcast < 0;
    $("reached").textContent = String(reached);
    let label = "t = " + sec(now);
    if (D.mode !== "links" && snapShown >= 0) label += " (snapshot “" + D.snapshots[snapShown].name + "”)";
    if (D.truncated_at_ms && now > D.truncated_at_ms) label += " — beyond the overlay log";
    $("time").textContent = label;
    $("slider").value = String(Math.round(now));
    if (plot) { plot.redraw(false); showSeriesAtNow(); }
  }

  // ---- node details ----
  function showInfo(key) {
    const rows = [];
    if (D.mode === "lans") {
      const k = +key.slice(1), s = snapShown >= 0 ? D.snapshots[snapShown] : null;
      rows.push(["LAN", D.segments[k]], ["nodes", D.lans.nodes[k]], ["running", s ? s.alive[k] : 0]);
      if (s) s.a.forEach((a, j) => { if (a === k && s.b[j] === k) rows.push(["links inside", s.w[j]]); });
    } else {
      const i = +key;
      rows.push(["node", nodes.name[i]], ["LAN", D.segments[nodes.seg[i]]]);
      if (D.groups[nodes.group[i]]) rows.push(["group", D.groups[nodes.group[i]]]);
      if (nodes.siphon[i]) rows.push(["role", "siphoner"]);
      rows.push(["state", alive[i] ? (part[i] ? "running, partitioned off" : "running") : (started[i] ? "stopped" : "not started")]);
      const peers = [];
      graph.forEachEdge(key, (e, a, s, t) => { if (e[0] !== "T" && (D.mode !== "links" || shownLink[a.i])) peers.push(nodes.name[+(s === key ? t : s)]); });
      rows.push(["links now", peers.join(", ") || "none"]);
      rows.push(["delivered (run)", nodes.delivered[i]], ["redundant (run)", nodes.redundant[i]]);
      if (bcast >= 0) {
        const b = D.broadcasts[bcast], j = b.node ? b.node.indexOf(i) : -1;
        if (i === b.origin) rows.push(["broadcast", "origin"]);
        else if (j >= 0) rows.push(["arrived", sec(b.at[j]) + ", hop " + b.hop[j] + (b.from[j] >= 0 ? ", from " + nodes.name[b.from[j]] : "")]);
        else rows.push(["arrived", ["never", "never: missed (owed it)", "never (not owed it)"][owing[i]]]);
      }
    }
    const table = document.createElement("table");
    for (const [k, v] of rows) {
      const tr = table.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = String(v);
    }
    $("info").replaceChildren(table);
  }

  // ---- time series ----
  let plot = null;
  if (D.series.at.length > 0 && window.uPlot) {
    const xs = D.series.at.map((t) => t / 1000);
    const cursorLine = (u) => {
      const x = u.valToPos(now / 1000, "x", true), ctx = u.ctx;
      ctx.save(); ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.restore();
    };
    plot = new uPlot({
      width: Math.max(400, document.body.clientWidth - 40), height: 180,
      scales: { x: { time: false }, c: {} },
      axes: [{ label: "virtual time (s)" }, { label: "nodes, links", size: 70 }, { scale: "c", side: 1, label: "components", grid: { show: false } }],
      series: [{ label: "t (s)" },
        { label: "running", stroke: "#1f77b4", paths: uPlot.paths.stepped({ align: 1 }) },
        { label: "links", stroke: "#2ca02c", paths: uPlot.paths.stepped({ align: 1 }) },
        { label: "components", stroke: "#9467bd", scale: "c", paths: uPlot.paths.stepped({ align: 1 }) }],
      hooks: {
        draw: [cursorLine],
        // Without the pointer over the chart its legend shows the values
        // at the replay's time (the red line), not "--".
        setCursor: [(u) => { if (u.cursor.idx == null) showSeriesAtNow(); }],
      },
    }, [xs, D.series.alive, D.series.links, D.series.components], $("series"));
  }
  // showSeriesAtNow puts the last sample at or before the replay's time in
  // the chart's legend.
  function showSeriesAtNow() {
    if (!plot || plot.cursor.idx != null) return;
    const at = D.series.at;
    let lo = 0, hi = at.length - 1;
    if (at[0] > now) return;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (at[mid] <= now) lo = mid; else hi = mid - 1; }
    plot.setLegend({ idx: lo });
  }

  // ---- sigma ----
  // Beyond 300 nodes (where nodes have no labels) nodes are drawn as points
  // and links as lines: one vertex or two each, where sigma's default discs
  // and rectangles are instanced, which software WebGL (SwiftShader: a
  // browser without a GPU) draws about ten times slower (scale-10k: a frame
  // 1.6-2.0 s against 0.12-0.27 s on the shared 2-core machine of
  // BENCHMARKS.md). A broadcast's tree stays thick up to 2,000 nodes.
  const lean = n > 300 ? {
    nodeProgramClasses: { circle: Sigma.rendering.NodePointProgram },
    edgeProgramClasses: { line: Sigma.rendering.EdgeLineProgram, thick: Sigma.rendering.EdgeRectangleProgram },
  } : { edgeProgramClasses: { thick: Sigma.rendering.EdgeRectangleProgram } };
  const treeType = n > 2000 ? "line" : "thick";
  function makeRenderer() {
    const r = new Sigma(graph, $("graph"), {
      ...lean,
      renderEdgeLabels: false, labelRenderedSizeThreshold: 8, zIndex: true, defaultEdgeColor: EDGE,
      hideEdgesOnMove: n > 2000,
      nodeReducer: (key, attr) => {
        if (D.mode !== "lans") { attr.color = shownColour[attr.i]; attr.size = shownSize[attr.i]; }
        return attr;
      },
      edgeReducer: (key, attr) => {
        if (key[0] === "T") attr.hidden = !treeShown[attr.i];
        else if (D.mode === "links") attr.hidden = !shownLink[attr.i];
        return attr;
      },
    });
    if (lean.nodeProgramClasses) {
      // Points: the node nearest the pointer (see nearestNode).
      let hovered = null;
      const click = (e) => { const k = nearestNode(r, e.event.x, e.event.y); if (k !== null) showInfo(k); };
      r.on("clickNode", click);
      r.on("clickStage", click);
      r.on("moveBody", (e) => {
        if (r.getMouseCaptor().isMouseDown) return;
        const k = nearestNode(r, e.event.x, e.event.y);
        if (k !== null && k !== hovered) showInfo(k);
        hovered = k;
      });
    } else {
      r.on("enterNode", (e) => showInfo(e.node));
      r.on("clickNode", (e) => showInfo(e.node));
    }
    return r;
  }

  // ---- picking points ----
  // sigma picks the node under the pointer from a picking image at half
  // resolution: the points drawn beyond 300 nodes (a few pixels wide,
  // often overlapping) are then missed about one click in eight
  // (flood-single-1000: 35 of 40 clicks on node centres). There the page
  // takes the node whose drawn centre is nearest the pointer, within PICK
  // pixels, placing nodes with sigma's own projection
  // (framedGraphToViewport), again only when the camera or canvas moved.
  const PICK = 8;
  let placed = null, placedFor = "";
  function nearestNode(r, x, y) {
    const cam = r.getCamera().getState(), dim = r.getDimensions();
    if (x < 0 || y < 0 || x > dim.width || y > dim.height) return null;
    const key = [cam.x, cam.y, cam.ratio, cam.angle, dim.width, dim.height].join();
    if (placed === null || placedFor !== key) {
      placed = new Float64Array(2 * n).fill(NaN);
      for (let i = 0; i < n; i++) {
        const d = r.getNodeDisplayData(nodeKey[i]);
        if (!d || d.hidden) continue;
        const p = r.framedGraphToViewport(d);
        placed[2 * i] = p.x; placed[2 * i + 1] = p.y;
      }
      placedFor = key;
    }
    let best = -1, bestD = PICK * PICK;
    for (let i = 0; i < n; i++) {
      const dx = placed[2 * i] - x, dy = placed[2 * i + 1] - y, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best < 0 ? null : nodeKey[best];
  }

  // ---- controls ----
  D.broadcasts.forEach((b, k) => {
    const o = document.createElement("option");
    o.value = String(k);
    o.textContent = b.id + " at " + sec(b.sent_at) + " (reliability " + b.reliability.toFixed(3) + ")";
    $("broadcast").append(o);
  });
  function selectBroadcast(k) {
    bcast = k;
    rebuild(prepareTree);
    $("broadcast").value = String(k);
    legend();
    if (k >= 0) setTime(D.broadcasts[k].sent_at); else setTime(now);
  }
  $("broadcast").addEventListener("change", () => selectBroadcast(+$("broadcast").value));
  $("slider").addEventListener("input", () => setTime(+$("slider").value));
  let playing = false, last = 0;
  function frame(ts) {
    if (!playing) return;
    if (last) setTime(now + (ts - last) * +$("speed").value);
    last = ts;
    if (now >= D.duration_ms) { playing = false; $("play").textContent = "Play"; return; }
    requestAnimationFrame(frame);
  }
  $("play").addEventListener("click", () => {
    playing = !playing;
    $("play").textContent = playing ? "Pause" : "Play";
    if (playing) { if (now >= D.duration_ms) setTime(0); last = 0; requestAnimationFrame(frame); }
  });

  legend();
  // The end of the run set up first, then drawn once by a new renderer.
  setTime(D.duration_ms);
  renderer = makeRenderer();
  // The state at the slider's instant rebuilt from the start of the logs,
  // going forward only (no cursor moved back and forth, nothing undone).
  function fromScratch() {
    const st = { alive: new Uint8Array(n), part: new Int32Array(n), hop: new Int32Array(n), started: new Int32Array(n) };
    const up = new Set();
    for (let k = 0; k < NE.at.length && NE.at[k] <= now; k++) {
      const i = NE.node[k];
      if (NE.kind[k] === 0) st.started[i]++;
      st.alive[i] = runsAfter(k, st.alive[i]);
      st.part[i] = NE.part[k];
    }
    for (let k = 0; k < L.at.length && L.at[k] <= now; k++) {
      const key = linkName(L.a[k], L.b[k]);
      if (L.up[k] === 1) up.add(key); else up.delete(key);
    }
    hopsAt(now, st.hop);
    return { st, up };
  }

  // For tests and benchmarks.
  window.p2pReplay = {
    setTime, selectBroadcast,
    get renderer() { return renderer; },
    // The state drawn now (colours as sigma holds them).
    state() {
      const colours = {};
      graph.forEachNode((key) => { const c = renderer.getNodeDisplayData(key).color; colours[c] = (colours[c] || 0) + 1; });
      return { t: now, mode: D.mode, alive: +$("alive").textContent, links: +$("links").textContent, colours, broadcast: bcast, reached: +$("reached").textContent };
    },
    // verify compares what sigma holds now (edges shown or hidden, node
    // colours and sizes) with the state rebuilt from scratch, in link mode,
    // and returns the differences.
    verify() {
      const { st, up } = fromScratch(), wrong = [];
      let shown = 0;
      graph.forEachEdge((key, attr) => {
        const got = !renderer.getEdgeDisplayData(key).hidden;
        const want = key[0] === "T" ? D.broadcasts[bcast].at[attr.i] <= now : up.has(key);
        if (got && key[0] !== "T") shown++;
        if (got !== want) wrong.push("edge " + key + (want ? " not drawn" : " drawn"));
      });
      for (let i = 0; i < n; i++) {
        const got = renderer.getNodeDisplayData(nodeKey[i]), c = colourOf(i, st), s = sizeOf(i, st);
        if (got.color !== c || got.size !== s) wrong.push("node " + nodes.name[i] + " drawn " + got.color + "/" + got.size + ", is " + c + "/" + s);
      }
      let running = 0;
      for (let i = 0; i < n; i++) running += st.alive[i];
      return { t: now, links: up.size, shown, running, shownRunning: +$("alive").textContent, shownLinks: +$("links").textContent, wrong: wrong.length, examples: wrong.slice(0, 5) };
    },
    // redraw makes a new renderer, which draws the whole graph afresh.
    redraw() { rebuild(() => {}); },
    // Milliseconds from the start of navigation until the page was drawn.
    readyMs: performance.now(),
  };
})();
