// A choice of one option (Streamlit components v2): the browser's own <select>, with its
// label. The page keeps the value; a choice goes back as the "chosen" trigger with the
// option's token, once, so a page a run behind never sends an old value again. Labels
// go in with textContent / Option text only, never as markup.

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".cb-choice");
  const select = root.querySelector("select");
  root.querySelector(".cb-choice-label").textContent = data.label;
  root.title = data.help || "";
  root.dataset.key = data.key;
  const signature = JSON.stringify([data.options, data.value]);
  if (select.dataset.signature !== signature) {
    select.replaceChildren(...data.options.map(([token, text]) => new Option(text, token)));
    select.value = data.value;
    select.dataset.signature = signature;
  }
  select.disabled = Boolean(data.disabled);
  select.setAttribute("aria-label", data.label);
  select.onchange = () => setTriggerValue("chosen", select.value);
}
