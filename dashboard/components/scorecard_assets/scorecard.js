// The scorecard after a turn (Streamlit components v2): the profile, the counts, the
// total and one row per item. Every text comes from the page as data and goes into the
// page with textContent only: a reason or a sign name is never parsed as HTML or
// Markdown. The element redraws only when its data changes.

const drawn = new WeakMap();

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".cb-score");
  const signature = JSON.stringify(data);
  if (drawn.get(root) === signature) return;
  drawn.set(root, signature);
  root.lang = data.lang === "zh" ? "zh-CN" : "en";
  const title = el("p");
  title.append(el("strong", "", data.name), document.createTextNode(` · ${data.subtitle}`));
  const counts = el("p");
  counts.dataset.testid = "scorecard-counts";
  data.counts.forEach(([label, count], n) => {
    if (n) counts.append(document.createTextNode(" · "));
    counts.append(document.createTextNode(`${label} `), el("strong", "", String(count)));
  });
  root.replaceChildren(title, counts, el("p", "cb-caption", data.total), table(data));
  root.dataset.ready = "true";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function table(data) {
  const box = el("table");
  const head = el("tr");
  for (const cell of data.header) head.append(el("th", "", cell));
  box.append(el("thead"), el("tbody"));
  box.tHead.append(head);
  for (const row of data.rows) {
    const line = el("tr");
    line.dataset.testid = "scorecard-row";
    for (const cell of row) line.append(el("td", "", cell));
    box.tBodies[0].append(line);
  }
  return box;
}
