package io.bpf4j.output.flame;

import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.Json;
import io.bpf4j.output.StackCounts;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A self-contained interactive flame graph: one HTML file with the stacks, an SVG drawn by a small script and no
 * other file or network access. Frames are as wide as their share of the counts, callers below callees. A tooltip
 * and the status line give a frame's name, count and percent; a click zooms to a frame (the button or Escape
 * resets); the search box takes a regular expression, highlights the frames it matches and shows the matched
 * percent of all counts. Colours are stable (a hash of the name) and say where a frame runs: warm for user code,
 * blue for the kernel, green for JIT-compiled code, teal for the JVM's interpreter, grey for the process.
 * {@code FILE.html#search=REGEX} opens with a search applied.
 */
public final class FlameGraph {
    private FlameGraph() {
    }

    /** One node of the merged call tree: a frame on one path from the root. */
    private static final class Node {
        final String name;
        final char kind; // p process, u user, k kernel, j JIT, i interpreted
        long value;
        final Map<String, Node> children = new LinkedHashMap<>();

        Node(String name, char kind) {
            this.name = name;
            this.kind = kind;
        }

        Node child(String name, char kind) {
            return children.computeIfAbsent(kind + name, k -> new Node(name, kind));
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", name);
            m.put("k", String.valueOf(kind));
            m.put("v", value);
            if (!children.isEmpty()) {
                List<Object> c = new ArrayList<>();
                for (Node n : children.values()) c.add(n.json());
                m.put("c", c);
            }
            return m;
        }
    }

    /** Writes the flame graph of {@code stacks}, titled {@code title}, as an HTML document. */
    public static void write(StackCounts stacks, String title, Writer out) throws IOException {
        Node root = new Node("all", 'r');
        for (StackCounts.Stack s : stacks.stacks()) {
            root.value += s.count();
            Node at = root;
            if (s.process() != null) {
                at = at.child(s.process(), 'p');
                at.value += s.count();
            }
            List<Frame> frames = s.frames();
            for (int i = frames.size() - 1; i >= 0; i--) { // outermost first
                Frame f = frames.get(i);
                char kind = switch (f.kind()) {
                    case KERNEL -> 'k';
                    case JIT -> 'j';
                    case INTERPRETED -> 'i';
                    case USER -> 'u';
                };
                at = at.child(f.name(), kind);
                at.value += s.count();
            }
        }
        String data = Json.write(root.json()).replace("</", "<\\/"); // never ends the script element
        out.write(TEMPLATE.replace("@TITLE@", escape(title)).replace("@UNIT@", escape(stacks.unit()))
                .replace("@DATA@", data));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String TEMPLATE = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>@TITLE@</title>
            <style>
              body { font: 12px Verdana, sans-serif; margin: 8px; background: #fff; }
              #bar { display: flex; gap: 12px; align-items: center; margin-bottom: 6px; }
              #bar h1 { font-size: 16px; margin: 0 auto 0 0; }
              #status { height: 18px; margin-top: 4px; white-space: nowrap; overflow: hidden; }
              #tip { position: fixed; display: none; background: #ffffe8; border: 1px solid #888; padding: 3px 6px;
                     pointer-events: none; white-space: nowrap; }
              svg text { font: 11px Verdana, sans-serif; fill: #000; pointer-events: none; }
              svg rect { stroke: #fff; stroke-width: 0.5; cursor: pointer; }
              svg rect.match { fill: rgb(230, 0, 230) !important; }
            </style>
            </head>
            <body>
            <div id="bar">
              <h1>@TITLE@</h1>
              <span id="matched"></span>
              <input id="search" placeholder="search (regex)" size="24">
              <button id="reset">Reset zoom</button>
            </div>
            <svg id="graph" width="100%"></svg>
            <div id="status">&nbsp;</div>
            <div id="tip"></div>
            <script>
            "use strict";
            const UNIT = "@UNIT@";
            const ROOT = @DATA@;
            const ROW = 17;
            const svg = document.getElementById("graph");
            const tip = document.getElementById("tip");
            const status = document.getElementById("status");
            let zoomed = ROOT, pattern = null;

            (function link(n, parent, depth) {
              n.parent = parent; n.depth = depth; n.c = n.c || [];
              n.c.forEach(c => link(c, n, depth + 1));
            })(ROOT, null, 0);
            const maxDepth = (function deepest(n) { return n.c.reduce((d, c) => Math.max(d, deepest(c)), n.depth); })(ROOT);

            function hash(s) { let h = 2166136261; for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); } return h >>> 0; }
            function colour(n) {
              const h = hash(n.n), a = (h & 0xff) / 255, b = ((h >> 8) & 0xff) / 255;
              switch (n.k) {
                case "k": return `rgb(${Math.round(80 + 50 * a)},${Math.round(140 + 50 * b)},${Math.round(210 + 40 * a)})`;
                case "j": return `rgb(${Math.round(60 + 60 * a)},${Math.round(180 + 60 * b)},${Math.round(60 + 50 * a)})`;
                case "i": return `rgb(${Math.round(60 + 40 * a)},${Math.round(190 + 40 * b)},${Math.round(190 + 40 * a)})`;
                case "p": case "r": return `rgb(${Math.round(170 + 30 * a)},${Math.round(170 + 30 * a)},${Math.round(170 + 30 * a)})`;
                default: return `rgb(${Math.round(205 + 50 * a)},${Math.round(80 + 120 * b)},${Math.round(40 + 30 * a)})`;
              }
            }
            function percent(v) { return (100 * v / ROOT.v).toFixed(2) + "%"; }
            function describe(n) {
              const kind = { k: " [kernel]", j: " [JIT]", i: " [interpreted]", p: " [process]", u: "", r: "" }[n.k];
              return `${n.n}${kind}: ${n.v.toLocaleString("en")} ${UNIT} (${percent(n.v)})`;
            }
            function isAncestor(a, n) { for (let p = n; p; p = p.parent) if (p === a) return true; return false; }

            function render() {
              const width = svg.clientWidth || 1200;
              const height = (maxDepth + 1) * ROW;
              svg.setAttribute("height", height);
              svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
              svg.textContent = "";
              const frag = document.createDocumentFragment();
              const scale = width / zoomed.v;
              function draw(n, x) {
                const w = n.v * scale;
                if (w < 0.5) return;
                const y = height - (n.depth + 1) * ROW;
                const g = document.createElementNS("http://www.w3.org/2000/svg", "g");
                const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
                r.setAttribute("x", x); r.setAttribute("y", y);
                r.setAttribute("width", Math.max(0, w)); r.setAttribute("height", ROW - 1);
                r.setAttribute("fill", colour(n));
                r.dataset.name = n.n;
                if (pattern && pattern.test(n.n)) r.classList.add("match");
                const t = document.createElementNS("http://www.w3.org/2000/svg", "title");
                t.textContent = describe(n);
                r.appendChild(t);
                r.addEventListener("click", () => { zoomed = n; render(); });
                r.addEventListener("mousemove", ev => {
                  tip.textContent = describe(n); tip.style.display = "block";
                  tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
                  status.textContent = describe(n);
                });
                r.addEventListener("mouseout", () => { tip.style.display = "none"; });
                g.appendChild(r);
                if (w > 30) {
                  const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
                  label.setAttribute("x", x + 3); label.setAttribute("y", y + ROW - 5);
                  const chars = Math.floor((w - 6) / 7);
                  label.textContent = n.n.length <= chars ? n.n : n.n.slice(0, Math.max(0, chars - 2)) + "..";
                  g.appendChild(label);
                }
                frag.appendChild(g);
                let cx = x;
                n.c.forEach(c => { if (isAncestor(zoomed, c) || isAncestor(c, zoomed)) { draw(c, cx); cx += c.v * scale; } });
              }
              // the zoomed frame's ancestors span the full width; then the zoomed frame and its callees
              for (let a = zoomed.parent; a; a = a.parent) {
                const saved = a.v; a.v = zoomed.v; drawAlone(a); a.v = saved;
              }
              function drawAlone(a) { const kids = a.c; a.c = []; draw(a, 0); a.c = kids; }
              draw(zoomed, 0);
              svg.appendChild(frag);
            }

            function search(text) {
              try { pattern = text ? new RegExp(text) : null; } catch (e) { pattern = null; }
              const matched = document.getElementById("matched");
              if (!pattern) { matched.textContent = ""; render(); return; }
              // count each matched path once: a match below a matched frame adds nothing
              const total = (function sum(n) { return pattern.test(n.n) ? n.v : n.c.reduce((s, c) => s + sum(c), 0); })(ROOT);
              matched.textContent = "Matched: " + percent(total);
              render();
            }

            document.getElementById("search").addEventListener("input", e => search(e.target.value));
            document.getElementById("reset").addEventListener("click", () => { zoomed = ROOT; render(); });
            document.addEventListener("keydown", e => { if (e.key === "Escape") { zoomed = ROOT; render(); } });
            window.addEventListener("resize", render);
            const initial = new URLSearchParams(location.hash.slice(1)).get("search");
            if (initial) { document.getElementById("search").value = initial; search(initial); } else { render(); }
            </script>
            </body>
            </html>
            """;
}
