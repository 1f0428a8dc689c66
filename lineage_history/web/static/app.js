/* lineage-history: draws the graph of a page as SVG (layout by dagre, pan and zoom by
 * svg-pan-zoom). Every node is a <g data-node="NAME"> (and data-change="..." in a diff).
 * Text goes in through textContent and setAttribute only: nothing a repository holds is
 * ever parsed as HTML. A classic script (not a module), so that it runs from file:// too. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var dataElement = document.getElementById("page-data");
  if (!dataElement) return;
  var page = JSON.parse(dataElement.textContent);
  var container = document.getElementById("graph");
  var details = document.getElementById("details");
  var byName = {};
  var upstreamOf = {};
  var downstreamOf = {};
  var svg = null;
  var zoom = null;
  var selected = null;

  page.nodes.forEach(function (node) {
    byName[node.name] = node;
    upstreamOf[node.name] = [];
    downstreamOf[node.name] = [];
  });
  page.edges.forEach(function (edge) {
    if (byName[edge[0]] && byName[edge[1]]) {
      upstreamOf[edge[1]].push(edge[0]);
      downstreamOf[edge[0]].push(edge[1]);
    }
  });

  function el(tag, attrs, text) {
    var made = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (key) { made.setAttribute(key, attrs[key]); });
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function html(tag, text, cls) {
    var made = document.createElement(tag);
    if (text !== undefined && text !== null) made.textContent = text;
    if (cls) made.className = cls;
    return made;
  }

  function label(node) {
    return node.name.length > 48 ? node.name.slice(0, 46) + "…" : node.name;
  }

  // Long edges cost dagre one dummy node per layer they cross: a 500-node chain with
  // shortcuts has tens of thousands, and minutes of layout. Past this many, the layers are
  // fixed by dependency depth and the longest edges are drawn after the layout, not by it.
  var DUMMY_BUDGET = 1500;

  function depths() {
    var depth = {}, pending = {}, ready = [];
    page.nodes.forEach(function (node) {
      pending[node.name] = upstreamOf[node.name].length;
      depth[node.name] = 0;
      if (!pending[node.name]) ready.push(node.name);
    });
    while (ready.length) {
      var name = ready.pop();
      downstreamOf[name].forEach(function (next) {
        depth[next] = Math.max(depth[next], depth[name] + 1);
        if (--pending[next] === 0) ready.push(next);
      });
    }
    return depth;
  }

  function laidOutEdges(depth) {
    var drawn = page.edges.filter(function (e) { return byName[e[0]] && byName[e[1]]; });
    var span = function (e) { return Math.max(depth[e[1]] - depth[e[0]] - 1, 0); };
    var total = drawn.reduce(function (sum, e) { return sum + span(e); }, 0);
    if (total <= DUMMY_BUDGET) return { inside: drawn, outside: [], fixed: false };
    var inside = [], outside = [], budget = DUMMY_BUDGET;
    drawn.slice().sort(function (a, b) { return span(a) - span(b); }).forEach(function (e) {
      if (span(e) <= budget) { budget -= span(e); inside.push(e); } else outside.push(e);
    });
    return { inside: inside, outside: outside, fixed: true };
  }

  function layout(rankdir) {
    var depth = depths();
    var edges = laidOutEdges(depth);
    var g = new dagre.graphlib.Graph({ multigraph: false });
    var options = { rankdir: rankdir, nodesep: 14, ranksep: 46, edgesep: 8, marginx: 16, marginy: 16 };
    if (edges.fixed) {
      // dagre doubles every edge's length to make room for labels: two ranks a layer.
      options.ranker = function (inner) {
        inner.nodes().forEach(function (v) { inner.node(v).rank = 2 * (depth[v] || 0); });
      };
    }
    g.setGraph(options);
    g.setDefaultEdgeLabel(function () { return {}; });
    page.nodes.forEach(function (node) {
      g.setNode(node.name, { width: 16 + 7.4 * label(node).length, height: 26 });
    });
    edges.inside.forEach(function (edge) { g.setEdge(edge[0], edge[1], { kind: edge[2] }); });
    dagre.layout(g);
    g.outside = edges.outside;
    return g;
  }

  function outsidePoints(g, edge, rankdir) {
    var a = g.node(edge[0]), b = g.node(edge[1]);
    if (rankdir === "LR") {
      return [{ x: a.x + a.width / 2, y: a.y }, { x: b.x - b.width / 2, y: b.y }];
    }
    return [{ x: a.x, y: a.y + a.height / 2 }, { x: b.x, y: b.y - b.height / 2 }];
  }

  function curve(points, rankdir) {
    var a = points[0], b = points[1];
    if (rankdir === "LR") {
      var mx = (a.x + b.x) / 2;
      return "M" + a.x + "," + a.y + " C" + mx + "," + a.y + " " + mx + "," + b.y + " " + b.x + "," + b.y;
    }
    var my = (a.y + b.y) / 2;
    return "M" + a.x + "," + a.y + " C" + a.x + "," + my + " " + b.x + "," + my + " " + b.x + "," + b.y;
  }

  function edgePath(points) {
    var d = "M" + points[0].x + "," + points[0].y;
    for (var i = 1; i < points.length; i++) d += " L" + points[i].x + "," + points[i].y;
    return d;
  }

  function draw(rankdir) {
    if (zoom) { zoom.destroy(); zoom = null; }
    container.textContent = "";
    var g = layout(rankdir);
    var size = g.graph();
    svg = el("svg", { viewBox: "0 0 " + Math.max(size.width, 10) + " " + Math.max(size.height, 10), role: "img" });
    var defs = el("defs");
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8c959f" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    var scene = el("g", { "class": "scene" });
    var edges = el("g", { "class": "edges" });
    g.edges().forEach(function (e) {
      var kind = g.edge(e).kind || "";
      var path = el("path", { "class": ("edge " + kind).trim(), d: edgePath(g.edge(e).points), "marker-end": "url(#arrow)" });
      path.setAttribute("data-from", e.v);
      path.setAttribute("data-to", e.w);
      edges.appendChild(path);
    });
    g.outside.forEach(function (edge) {
      var path = el("path", { "class": ("edge long " + edge[2]).trim(), d: curve(outsidePoints(g, edge, rankdir), rankdir), "marker-end": "url(#arrow)" });
      path.setAttribute("data-from", edge[0]);
      path.setAttribute("data-to", edge[1]);
      edges.appendChild(path);
    });
    scene.appendChild(edges);
    var nodes = el("g", { "class": "nodes" });
    page.nodes.forEach(function (node) {
      var box = g.node(node.name);
      var classes = "node role-" + node.role + (node.stand_in ? " stand-in" : "");
      var group = el("g", { "class": classes, transform: "translate(" + (box.x - box.width / 2) + "," + (box.y - box.height / 2) + ")" });
      group.setAttribute("data-node", node.name);
      if (page.kind === "diff") group.setAttribute("data-change", node.change);
      group.appendChild(el("title", {}, node.name + " : " + node.type));
      group.appendChild(el("rect", { width: box.width, height: box.height, rx: 5 }));
      group.appendChild(el("text", { x: 8, y: 17 }, label(node)));
      group.addEventListener("click", function (event) { event.stopPropagation(); select(node.name); });
      nodes.appendChild(group);
    });
    scene.appendChild(nodes);
    svg.appendChild(scene);
    svg.addEventListener("click", function () { select(null); });
    container.appendChild(svg);
    zoom = svgPanZoom(svg, { zoomEnabled: true, controlIconsEnabled: true, fit: true, center: true, minZoom: 0.02, maxZoom: 40, dblClickZoomEnabled: false });
    document.querySelectorAll("button.rankdir").forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-rankdir") === rankdir);
    });
    if (selected) select(selected);
  }

  function reach(start, edges) {
    var seen = {}, stack = [start];
    while (stack.length) {
      (edges[stack.pop()] || []).forEach(function (next) {
        if (!seen[next]) { seen[next] = true; stack.push(next); }
      });
    }
    return seen;
  }

  function nodeElement(name) {
    return Array.prototype.find.call(svg.querySelectorAll("g.node"), function (g) {
      return g.getAttribute("data-node") === name;
    });
  }

  function select(name) {
    selected = name && byName[name] ? name : null;
    svg.classList.toggle("selecting", !!selected);
    var up = selected ? reach(selected, upstreamOf) : {};
    var down = selected ? reach(selected, downstreamOf) : {};
    svg.querySelectorAll("g.node").forEach(function (g) {
      var n = g.getAttribute("data-node");
      g.classList.toggle("selected", n === selected);
      g.classList.toggle("upstream", !!up[n]);
      g.classList.toggle("downstream", !!down[n]);
      g.classList.toggle("related", n === selected || !!up[n] || !!down[n]);
    });
    svg.querySelectorAll("path.edge").forEach(function (p) {
      var from = p.getAttribute("data-from"), to = p.getAttribute("data-to");
      var onPath = (up[from] || from === selected) && (up[to] || to === selected) ||
        (down[from] || from === selected) && (down[to] || to === selected);
      p.classList.toggle("related", !!onPath);
    });
    showDetails(selected ? byName[selected] : null, up, down);
  }

  function row(list, term, value) {
    list.appendChild(html("dt", term));
    var dd = html("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    list.appendChild(dd);
  }

  function tagList(tags) {
    var span = html("span");
    var keys = Object.keys(tags || {});
    if (!keys.length) span.textContent = "none";
    keys.forEach(function (key) {
      var value = tags[key];
      span.appendChild(html("span", key + "=" + (Array.isArray(value) ? value.join(",") : value), "tag"));
    });
    return span;
  }

  function nameList(names) {
    var span = html("span");
    if (!names.length) span.textContent = "none";
    names.slice().sort().forEach(function (name, i) {
      if (i) span.appendChild(document.createTextNode(", "));
      var link = html("a", name);
      link.href = "#";
      link.addEventListener("click", function (event) { event.preventDefault(); select(name); center(name); });
      span.appendChild(link);
    });
    return span;
  }

  function text(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function changesTable(node) {
    var table = html("table", null, "changes");
    var head = html("tr");
    ["", "before", "after"].forEach(function (t) { head.appendChild(html("th", t)); });
    table.appendChild(head);
    (node.changes || ["name", "type", "role", "dependencies", "tags", "doc", "code"]).forEach(function (kind) {
      var key = kind === "dependencies" ? "dependencies" : kind;
      var tr = html("tr");
      tr.appendChild(html("th", kind));
      tr.appendChild(html("td", text(node.before[key])));
      tr.appendChild(html("td", text(node[key])));
      table.appendChild(tr);
    });
    return table;
  }

  function showDetails(node, up, down) {
    details.textContent = "";
    details.hidden = !node;
    if (!node) return;
    var close = html("button", "×", "close");
    close.type = "button";
    close.addEventListener("click", function () { select(null); });
    details.appendChild(close);
    details.appendChild(html("h3", node.name));
    if (node.change) details.appendChild(html("p", node.change + (node.renamed_from ? " from " + node.renamed_from : ""), "change change-" + node.change));
    var list = html("dl");
    row(list, "type", node.type);
    row(list, "role", node.role);
    if (node.module) row(list, "defined in", node.module + (node.function ? "." + node.function : ""));
    if (node.code) row(list, "code", node.code);
    row(list, "stand-in", node.stand_in ? "its type comes from a stand-in module" : "no");
    row(list, "tags", tagList(node.tags));
    row(list, "depends on", nameList(node.dependencies.filter(function (d) { return byName[d]; })));
    var missing = node.dependencies.filter(function (d) { return !byName[d]; });
    if (missing.length) row(list, "also on", missing.join(", "));
    row(list, "used by", nameList(downstreamOf[node.name] || []));
    row(list, "upstream", String(Object.keys(up).length) + " nodes");
    row(list, "downstream", String(Object.keys(down).length) + " nodes");
    if (node.because) row(list, "impacted by", nameList(node.because));
    details.appendChild(list);
    if (node.doc) details.appendChild(html("pre", node.doc, "doc"));
    if (node.before) {
      details.appendChild(html("h4", "What changed"));
      (node.details || []).forEach(function (line) { details.appendChild(html("div", line, "meta")); });
      details.appendChild(changesTable(node));
    }
    if (node.history) {
      var link = html("a", "history of this node");
      link.setAttribute("href", node.history);
      details.appendChild(link);
    }
  }

  function center(name) {
    var g = nodeElement(name);
    if (!g || !zoom) return;
    var box = g.getBBox();
    var matrix = g.getCTM();
    var sizes = zoom.getSizes();
    var x = matrix.a * (box.x + box.width / 2) + matrix.e;
    var y = matrix.d * (box.y + box.height / 2) + matrix.f;
    zoom.panBy({ x: sizes.width / 2 - x, y: sizes.height / 2 - y });
  }

  function search(query, go) {
    var q = query.trim().toLowerCase();
    var matches = [];
    svg.classList.toggle("searching", !!q);
    svg.querySelectorAll("g.node").forEach(function (g) {
      var hit = !!q && g.getAttribute("data-node").toLowerCase().indexOf(q) >= 0;
      g.classList.toggle("match", hit);
      if (hit) matches.push(g.getAttribute("data-node"));
    });
    var result = document.getElementById("search-result");
    result.textContent = q ? matches.length + (matches.length === 1 ? " match" : " matches") : "";
    if (go && matches.length) {
      var exact = matches.filter(function (m) { return m.toLowerCase() === q; })[0] || matches[0];
      select(exact);
      center(exact);
    }
  }

  var input = document.getElementById("search");
  input.addEventListener("input", function () { search(input.value, false); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); search(input.value, true); }
  });
  document.querySelectorAll("button.rankdir").forEach(function (button) {
    button.addEventListener("click", function () { draw(button.getAttribute("data-rankdir")); });
  });
  document.getElementById("fit").addEventListener("click", function () {
    if (zoom) { zoom.resize(); zoom.fit(); zoom.center(); }
  });
  var initial = /[#&]rankdir=TB/.test(location.hash) ? "TB" : "LR";
  draw(initial);
  document.body.setAttribute("data-graph-ready", "true");
})();
