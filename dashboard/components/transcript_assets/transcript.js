// The stored turns of a conversation (Streamlit components v2): each question, the
// structured answer, its footer and warnings. Every text comes from the page as data
// and goes into the page with textContent only: nothing a person or a model wrote is
// ever parsed as HTML or Markdown. The element redraws only when its data changes, so
// a rerun that changes nothing here keeps the reader's selection.

const drawn = new WeakMap();

// Material Icons "face" and "smart_toy" (Apache-2.0), the avatars of Streamlit's chat.
const ICONS = {
  question:
    "M9 11.75c-.69 0-1.25.56-1.25 1.25s.56 1.25 1.25 1.25 1.25-.56 1.25-1.25-.56-1.25-1.25-1.25zm6 0c-.69 0-1.25.56-1.25 1.25s.56 1.25 1.25 1.25 1.25-.56 1.25-1.25-.56-1.25-1.25-1.25zM12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm0 18c-4.41 0-8-3.59-8-8 0-.29.02-.58.05-.86 2.36-1.05 4.23-2.98 5.21-5.37C11.07 8.33 14.05 10 17.42 10c.78 0 1.53-.09 2.25-.26.21.71.33 1.47.33 2.26 0 4.41-3.59 8-8 8z",
  answer:
    "M20 9V7c0-1.1-.9-2-2-2h-3c0-1.66-1.34-3-3-3S9 3.34 9 5H6c-1.1 0-2 .9-2 2v2c-1.66 0-3 1.34-3 3s1.34 3 3 3v4c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2v-4c1.66 0 3-1.34 3-3s-1.34-3-3-3zM7.5 11.5c0-.83.67-1.5 1.5-1.5s1.5.67 1.5 1.5S9.83 13 9 13s-1.5-.67-1.5-1.5zM16 17H8v-2h8v2zm-1-4c-.83 0-1.5-.67-1.5-1.5S14.17 10 15 10s1.5.67 1.5 1.5S15.83 13 15 13z",
};

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".cb-transcript");
  const signature = JSON.stringify(data);
  if (drawn.get(root) === signature) return;
  drawn.set(root, signature);
  root.lang = data.lang === "zh" ? "zh-CN" : "en";
  root.replaceChildren(...data.turns.map((turn) => drawTurn(turn, data.text)));
  root.dataset.turns = String(data.turns.length);
  root.dataset.ready = "true";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function avatar(kind, label) {
  const box = el("div", "cb-avatar");
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", label);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[kind]);
  svg.append(path);
  box.append(svg);
  return box;
}

function message(kind, label, testId) {
  const row = el("div", `cb-msg cb-${kind}`);
  row.dataset.testid = testId;
  const body = el("div", "cb-body");
  row.append(avatar(kind, label), body);
  return { row, body };
}

// The answer's blocks: lines, section titles (bold), list items (consecutive ones in
// one list) and blank lines, as text.answer_blocks split them.
function drawBlocks(body, blocks) {
  let list = null;
  for (const [kind, text] of blocks) {
    if (kind === "item") {
      if (!list) { list = el("ul"); body.append(list); }
      list.append(el("li", "", text));
      continue;
    }
    list = null;
    if (kind === "title") {
      const p = el("p");
      p.append(el("strong", "", text));
      body.append(p);
    } else if (kind === "gap") {
      body.append(el("p", "cb-gap"));
    } else {
      body.append(el("p", "", text));
    }
  }
}

function drawTurn(turn, words) {
  const box = el("div", "cb-turn");
  box.dataset.testid = "transcript-turn";
  box.dataset.turn = String(turn.number);
  const question = message("question", words.question, "transcript-question");
  question.body.append(el("p", "cb-text", turn.question), el("p", "cb-caption", turn.asked));
  const answer = message("answer", words.answer, "transcript-answer");
  drawBlocks(answer.body, turn.blocks);
  const footer = el("p", "cb-caption", turn.footer);
  footer.dataset.testid = "transcript-footer";
  answer.body.append(footer);
  for (const warning of turn.warnings) {
    const line = el("p", "cb-caption");
    line.dataset.testid = "transcript-warning";
    line.append(el("span", "", "⚠ "), document.createTextNode(warning));
    line.firstChild.setAttribute("aria-label", words.warning);
    answer.body.append(line);
  }
  box.append(question.row, answer.row);
  return box;
}
