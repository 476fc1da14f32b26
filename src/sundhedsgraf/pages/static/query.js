// The query page's editor: CodeMirror 6 (editor.bundle.js, as window.SGEditor) over the form's
// textarea. Without this script the form works as it is. With it the query gets highlighting
// and completion (keywords, prefixes, our classes and properties from /query/terms.json,
// resources by label from /search), missing PREFIX lines are added on run, runs are kept in
// localStorage, and a run swaps in the server's answer without leaving the page (the same HTML
// the form would get; the URL changes to it, so it can be shared).
(function () {
  "use strict";
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query");
  const CM = window.SGEditor;
  if (!form || !textarea || !CM) return;
  const text = form.dataset;
  const lang = text.lang;
  const status = document.getElementById("editor-status");
  const HISTORY = "sundhedsgraf.query-history";
  const HISTORY_MAX = 25;
  const KEYWORDS = (
    "SELECT CONSTRUCT DESCRIBE ASK WHERE PREFIX BASE FROM NAMED DISTINCT REDUCED AS OPTIONAL " +
    "UNION MINUS GRAPH SERVICE FILTER BIND VALUES UNDEF NOT IN EXISTS GROUP BY HAVING ORDER " +
    "ASC DESC LIMIT OFFSET COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG " +
    "LANGMATCHES DATATYPE BOUND IRI BNODE ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE " +
    "CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY NOW COALESCE IF STRLANG " +
    "STRDT SAMETERM isIRI isBLANK isLITERAL isNUMERIC SUBSTR REPLACE REGEX"
  ).split(" ");

  // ---- what completion knows: /query/terms.json, fetched once ----
  let vocabulary = { prefixes: {}, terms: [] };
  fetch(text.terms)
    .then((response) => (response.ok ? response.json() : vocabulary))
    .then((found) => (vocabulary = found))
    .catch(() => {});

  // Prefixed names outside strings, IRIs and comments; the same rule as sparql_text.py.
  const TOKEN =
    /#[^\n]*|'''[\s\S]*?'''|"""[\s\S]*?"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|<[^<>"{}|^`\\\x00-\x20]*>|[?$][\w\u00B7\u00C0-\uFFFD]+|_:[\w.-]+|(?:[A-Za-z\u00C0-\uFFFD](?:[\w.\-\u00B7\u00C0-\uFFFD]*[\w\-\u00B7\u00C0-\uFFFD])?)?:(?:[\w\-:%\\\u00B7\u00C0-\uFFFD](?:[\w\-.:%\\\u00B7\u00C0-\uFFFD]*[\w\-:%\\\u00B7\u00C0-\uFFFD])?)?|[A-Za-z_][\w-]*/g;

  function missingPrefixes(query) {
    const declared = new Set();
    const wanted = [];
    let previous = "";
    for (const match of query.matchAll(TOKEN)) {
      const token = match[0];
      const pname = /^[^#'"<?$_][^#'"<]*:/.test(token) || token.startsWith(":");
      if (pname) {
        const name = token.slice(0, token.indexOf(":"));
        if (previous.toUpperCase() === "PREFIX") declared.add(name);
        else if (!wanted.includes(name)) wanted.push(name);
      }
      previous = token;
    }
    return wanted
      .filter((name) => !declared.has(name) && vocabulary.prefixes[name])
      .map((name) => `PREFIX ${name}: <${vocabulary.prefixes[name]}>`);
  }

  // ---- completion ----
  function option(label, type, detail, apply, info) {
    const found = { label, type, detail };
    if (apply) found.apply = apply;
    if (info) found.info = info;
    return found;
  }

  const searched = new Map();
  async function resources(word) {
    if (!searched.has(word)) {
      const url = `${text.search}?${new URLSearchParams({ q: word, format: "json", lang })}`;
      searched.set(
        word,
        fetch(url)
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((found) => found.results.slice(0, 30))
          .catch(() => []),
      );
    }
    return searched.get(word);
  }

  function resourceOptions(found, prefix) {
    return found
      .filter((r) => !prefix || (r.name && r.name.startsWith(prefix + ":")))
      .map((r) =>
        option(r.label, "constant", r.name || r.types.join(", "), r.name || `<${r.iri}>`),
      );
  }

  // Whether the cursor is in an IRI, a text or a comment, where nothing is completed.
  function inside(before) {
    const rest = before.replace(/<[^<>\s]*>|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "");
    return /[<"'#]/.test(rest);
  }

  async function complete(context) {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    if (inside(before)) return null;
    const declaring = /PREFIX\s+([\w-]*)$/i.exec(before);
    if (declaring) {
      const typed = declaring[1];
      const options = Object.entries(vocabulary.prefixes)
        .filter(([name]) => name.startsWith(typed))
        .map(([name, ns]) => option(`${name}:`, "namespace", ns, `${name}: <${ns}>`));
      return { from: context.pos - typed.length, options, filter: false };
    }
    const variable = context.matchBefore(/[?$][\w]*/);
    if (variable) {
      const names = new Set(context.state.doc.toString().match(/[?$][A-Za-z_]\w*/g) || []);
      names.delete(variable.text);
      const options = [...names].map((name) => option(name, "variable"));
      return { from: variable.from, options };
    }
    const pname = context.matchBefore(/[A-Za-z][\w.-]*:[\w.-]*/);
    if (pname) {
      const prefix = pname.text.slice(0, pname.text.indexOf(":"));
      const local = pname.text.slice(prefix.length + 1);
      const options = vocabulary.terms
        .filter((t) => t.name.startsWith(pname.text))
        .map((t) =>
          option(t.name, t.kind === "class" ? "class" : "property", t.label && t.label[lang],
            null, t.definition && t.definition[lang]),
        );
      if (!options.length && local.length >= 2) {
        options.push(...resourceOptions(await resources(local), prefix));
      }
      return { from: pname.from, options, filter: false };
    }
    const word = context.matchBefore(/[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F-]*/);
    if (!word && !context.explicit) return null;
    const typed = word ? word.text : "";
    const upper = typed.toUpperCase();
    const keywords = KEYWORDS.filter((k) => k.toUpperCase().startsWith(upper));
    const options = keywords.map((k) => option(k, "keyword"));
    for (const [name, ns] of Object.entries(vocabulary.prefixes)) {
      if (name.startsWith(typed)) options.push(option(`${name}:`, "namespace", ns));
    }
    if (typed.length >= 3 && !keywords.length) {
      options.push(...resourceOptions(await resources(typed)));
    }
    if (!options.length || (typed.length < 2 && !context.explicit)) return null;
    return { from: word ? word.from : context.pos, options, filter: false };
  }

  // ---- the editor ----
  const colours = CM.HighlightStyle.define([
    { tag: CM.tags.keyword, color: "#7a1fa2" },
    { tag: CM.tags.standard(CM.tags.variableName), color: "#7a1fa2" },
    { tag: CM.tags.local(CM.tags.variableName), color: "#0b5cad" },
    { tag: CM.tags.atom, color: "#0f6b5c" },
    { tag: CM.tags.string, color: "#a61b1b" },
    { tag: CM.tags.number, color: "#0f6b5c" },
    { tag: CM.tags.comment, color: "#52606d", fontStyle: "italic" },
    { tag: CM.tags.meta, color: "#52606d" },
  ]);
  // The editor lives in a shadow root: there CodeMirror's styles go into a constructed style
  // sheet, which the page's Content-Security-Policy (style-src 'self') allows; in the document
  // itself it would add a <style> element, which the policy blocks. So its looks are set here.
  const theme = CM.EditorView.theme({
    "&": {
      border: "1px solid #7b8794",
      borderRadius: "4px",
      backgroundColor: "#ffffff",
      color: "#1f2933",
      minHeight: "16em",
      maxHeight: "70vh",
    },
    "&.cm-focused": { outline: "3px solid #f0b429", outlineOffset: "2px" },
    ".cm-scroller": {
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      fontSize: "15px",
      lineHeight: "1.45",
      overflow: "auto",
    },
    ".cm-content": { minHeight: "15em" },
    ".cm-gutters": { backgroundColor: "#f5f7fa", color: "#52606d", borderRight: "1px solid #d9e2ec" },
    ".cm-activeLine": { backgroundColor: "#f0f4f8" },
    ".cm-activeLineGutter": { backgroundColor: "#e4e9ee", color: "#1f2933" },
    ".cm-tooltip": { fontFamily: "system-ui, sans-serif", fontSize: "15px" },
    ".cm-tooltip.cm-tooltip-autocomplete > ul": { maxHeight: "18em", fontFamily: "inherit" },
    ".cm-completionDetail": { color: "#52606d", fontStyle: "normal", marginLeft: "0.8em" },
    ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail": { color: "#ffffff" },
    ".cm-completionInfo": { maxWidth: "28em", padding: "0.4em 0.6em" },
  });
  const run = () => {
    form.requestSubmit();
    return true;
  };
  const host = document.createElement("div");
  host.className = "editor-host";
  textarea.parentNode.insertBefore(host, textarea);
  const shadow = host.attachShadow({ mode: "open" });
  const label = document.getElementById("query-label");
  const view = new CM.EditorView({
    root: shadow,
    parent: shadow,
    state: CM.EditorState.create({
      doc: textarea.value,
      extensions: [
        CM.lineNumbers(),
        CM.highlightActiveLineGutter(),
        CM.history(),
        CM.drawSelection(),
        CM.indentOnInput(),
        CM.bracketMatching(),
        CM.highlightActiveLine(),
        CM.autocompletion({ override: [complete] }),
        CM.keymap.of([
          { key: "Mod-Enter", run },
          { key: "Shift-Enter", run },
          ...CM.defaultKeymap,
          ...CM.historyKeymap,
        ]),
        CM.StreamLanguage.define(CM.sparql),
        CM.syntaxHighlighting(colours),
        CM.EditorView.lineWrapping,
        theme,
        // an ID reference cannot leave the shadow root: the label's own words
        // tabindex: checkers (axe) count the scrolling editor as keyboard-reachable
        CM.EditorView.contentAttributes.of({
          "aria-label": label.textContent.trim(),
          tabindex: "0",
        }),
        CM.EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
        }),
      ],
    }),
  });
  textarea.hidden = true;
  document.getElementById("editor-help").hidden = false;
  label.addEventListener("click", () => view.focus());

  function say(message) {
    status.textContent = message;
  }

  // ---- running: add the missing prefixes, remember, fetch the answer, swap it in ----
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runQuery();
  });

  async function runQuery() {
    const added = missingPrefixes(view.state.doc.toString());
    if (added.length) {
      view.dispatch({ changes: { from: 0, insert: added.join("\n") + "\n" } });
    }
    const query = view.state.doc.toString();
    textarea.value = query;
    if (!query.trim()) return;
    remember(query);
    const url = `${form.action}?${new URLSearchParams(new FormData(form))}`;
    say(text.running);
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const outcome = page.getElementById("outcome");
      if (!outcome) throw new Error("no answer in the page");
      document.getElementById("outcome").replaceWith(document.adoptNode(outcome));
      showTime(response.headers.get("Server-Timing"));
      const languages = page.getElementById("lang-switch");
      if (languages) document.getElementById("lang-switch").replaceWith(document.adoptNode(languages));
      history.pushState({}, "", url);
      say(added.length ? `${text.added} ${added.join(" ")}` : "");
      enhance();
    } catch (error) {
      say(text.failed);
      HTMLFormElement.prototype.submit.call(form); // the plain form, without this script
    }
  }
  window.addEventListener("popstate", () => location.reload());

  // How long the query took comes in a header (the page is the same bytes on every server).
  function showTime(timing) {
    const found = /query;dur=([0-9.]+)/.exec(timing || "");
    const count = document.querySelector("#outcome .count");
    if (!found || !count) return;
    const ms = Number(found[1]);
    count.append(` · ${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`}`);
  }

  // ---- after an answer: the error's spot in the editor, copy buttons ----
  function enhance() {
    const error = document.getElementById("query-error");
    if (error && error.dataset.line) {
      const doc = view.state.doc;
      const line = doc.line(Math.min(Number(error.dataset.line), doc.lines));
      const at = Math.min(line.from + Number(error.dataset.column) - 1, line.to);
      view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
    }
    for (const block of document.querySelectorAll("#query-code pre")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = text.copy;
      button.addEventListener("click", () => {
        navigator.clipboard.writeText(block.textContent).then(() => {
          button.textContent = text.copied;
        });
      });
      block.after(button);
    }
  }
  enhance();

  // ---- history, in this browser only ----
  function load() {
    try {
      const found = JSON.parse(localStorage.getItem(HISTORY) || "[]");
      return Array.isArray(found) ? found.filter((e) => typeof e.query === "string") : [];
    } catch (error) {
      return [];
    }
  }

  function remember(query) {
    const kept = load().filter((e) => e.query !== query);
    kept.unshift({ query, at: new Date().toISOString() });
    try {
      localStorage.setItem(HISTORY, JSON.stringify(kept.slice(0, HISTORY_MAX)));
    } catch (error) {
      return; // storage full or forbidden: no history, the query still runs
    }
    showHistory();
  }

  function showHistory() {
    const section = document.getElementById("history");
    const list = document.getElementById("history-list");
    list.replaceChildren();
    const entries = load();
    for (const entry of entries) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const lines = entry.query.split("\n").filter((l) => l.trim() && !/^\s*(PREFIX|#)/i.test(l));
      const summary = lines.join(" ").replace(/\s+/g, " ").trim();
      button.textContent = summary.length > 90 ? summary.slice(0, 89) + "…" : summary;
      button.title = entry.query;
      button.addEventListener("click", () => {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: entry.query } });
        view.focus();
      });
      const when = document.createElement("time");
      when.dateTime = entry.at;
      when.textContent = new Date(entry.at).toLocaleString(lang === "da" ? "da-DK" : "en-GB");
      item.append(button, when);
      list.append(item);
    }
    list.hidden = !entries.length;
    document.getElementById("history-empty").hidden = entries.length > 0;
    section.hidden = false;
  }
  document.getElementById("history-clear").addEventListener("click", () => {
    localStorage.removeItem(HISTORY);
    showHistory();
  });
  showHistory();
  // a query that arrived in the URL (a shared link, an example) is history too
  if (textarea.value.trim() && new URLSearchParams(location.search).has("query")) {
    remember(textarea.value);
  }
})();
