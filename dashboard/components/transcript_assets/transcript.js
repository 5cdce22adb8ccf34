// The stored turns of a conversation (Streamlit components v2): each question, the
// structured answer, its footer and warnings. Every text comes from the page as data
// and goes into the page with textContent only: nothing a person or a model wrote is
// ever parsed as HTML or Markdown. The element redraws only when its data changes, so
// a rerun that changes nothing here keeps the reader's selection.

const drawn = new WeakMap();

// Material Symbols "person" and "smart_toy" (Apache-2.0), as Streamlit's chat shows them.
const ICONS = {
  question:
    "M12 12c2.21 0 4-1.79 4-4s-1.79-4-4-4-4 1.79-4 4 1.79 4 4 4zm0 2c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z",
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
