// The question composer (Streamlit components v2). Its *state* is the list of questions
// this page sent that the server has not acknowledged yet, numbered from 1 under a page
// id made at random when it mounts: {page, questions: [{n, text}, ...]}. Streamlit keeps
// only the newest of two values of one element waiting for the same run, and the newest
// list holds every question the older one held, so a question sent while another run is
// pending is never dropped. The server queues each (page, n) once, in n order, and sends
// back in `data.acked` the highest n it took per page; the list drops those, so it stays
// short. Enter sends, Shift+Enter is a new line, and an Enter that ends an IME
// composition (Chinese input) only picks the characters. Above the box it shows, when the
// page sends one, why the conversation is read-only and the switch that starts the new
// one from its questions; the page keeps the switch's value, which a press sends as the
// "seed" trigger.

// element key -> {page, next, questions, draft}: outlives a remount of the element (the
// page's layout changing above it), not a reload, which starts a new browser session.
const outboxes = new Map();
const composers = new WeakMap(); // mounted element -> its bound composer

export default function (component) {
  const { data, key, parentElement, setStateValue, setTriggerValue } = component;
  let outbox = outboxes.get(key);
  if (!outbox) {
    outbox = { page: pageId(), next: 1, questions: [], draft: "" };
    outboxes.set(key, outbox);
  }
  let composer = composers.get(parentElement);
  if (!composer) {
    composer = createComposer(parentElement, outbox);
    composers.set(parentElement, composer);
  }
  composer.update(data, setStateValue, setTriggerValue);
}

// crypto.randomUUID needs a secure context; a dashboard served over plain http on a
// LAN address is not one, getRandomValues works everywhere.
function pageId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function createComposer(root, outbox) {
  const box = root.querySelector("#composer");
  const input = root.querySelector("#composer-input");
  const button = root.querySelector("#composer-send");
  const status = root.querySelector("#composer-status");
  const notice = root.querySelector("#composer-notice");
  const noticeText = root.querySelector("#composer-notice-text");
  const seed = root.querySelector("#composer-seed");
  let seedOn = false;
  let trigger = null;
  let config = null;
  let send = null;
  let mounted = false;
  input.value = outbox.draft;

  const tooLong = () => config !== null && input.value.length > config.maxChars;

  function show() {
    const over = tooLong();
    box.dataset.tooLong = String(over);
    box.dataset.sending = String(outbox.questions.length);
    input.setAttribute("aria-invalid", String(over));
    if (over) {
      status.textContent = config.text.too_long
        .replace("{count}", String(input.value.length)).replace("{max}", String(config.maxChars));
    } else if (outbox.questions.length) {
      status.textContent = config.text.sending.replace("{count}", String(outbox.questions.length));
    } else {
      status.textContent = "";
    }
    button.disabled = config.disabled || over || !input.value.trim();
  }

  // Grows with its lines, as Streamlit's chat box does, up to about six.
  function fit() {
    input.style.height = "auto";
    input.style.height = Math.min(Math.max(input.scrollHeight, 32), 156) + "px";
  }

  function submit() {
    if (config === null || config.disabled || send === null) return;
    const text = input.value;
    if (!text.trim() || tooLong()) { show(); return; }
    outbox.questions.push({ n: outbox.next++, text });
    input.value = outbox.draft = "";
    fit();
    send("questions", { page: outbox.page, questions: outbox.questions.slice() });
    show();
    input.focus();
  }

  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey) return;
    // The Enter that ends an IME composition chooses the characters (keyCode 229 is
    // what browsers report for a key the IME takes); it must not send a half question.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submit();
  });
  input.addEventListener("input", () => { outbox.draft = input.value; fit(); show(); });
  button.addEventListener("click", () => { submit(); input.focus(); });
  seed.addEventListener("click", () => {
    seedOn = !seedOn;
    seed.setAttribute("aria-pressed", String(seedOn));
    if (trigger) trigger("seed", seedOn);
  });

  // Text only (textContent): an owner's name is never read as markup.
  function showNotice(data) {
    const n = data.notice || null;
    notice.hidden = !n;
    noticeText.textContent = n ? n.text : "";
    seed.hidden = !(n && n.seed);
    if (n && n.seed) {
      seed.textContent = n.seed.label;
      seed.title = n.seed.help;
      seedOn = Boolean(n.seed.on);
      seed.setAttribute("aria-pressed", String(seedOn));
    }
  }

  function update(data, setStateValue, setTriggerValue) {
    config = data;
    send = setStateValue;
    trigger = setTriggerValue || null;
    showNotice(data);
    const acked = (data.acked || {})[outbox.page] || 0;
    outbox.questions = outbox.questions.filter((q) => q.n > acked);
    input.placeholder = data.placeholder;
    input.disabled = data.disabled;
    input.setAttribute("aria-label", data.text.label);
    button.setAttribute("aria-label", data.text.send);
    button.title = data.text.send;
    box.dataset.page = outbox.page;
    box.dataset.acked = String(acked);
    show();
    if (!mounted) {
      mounted = true;
      fit();
      // Mounted again with questions the server has not acknowledged (a send cut short
      // by the page changing under it): send them again; the server takes each once.
      if (outbox.questions.length && !data.disabled) {
        send("questions", { page: outbox.page, questions: outbox.questions.slice() });
      }
    }
  }

  return { update };
}
