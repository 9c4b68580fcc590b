// The text editor's help (templates/portal/text.html.j2), on top of a page that works without it: each [[…]]
// checked as it is typed, a figure's name inserted at the cursor, the pages fetched once laid out again.
"use strict";
(function () {
  const form = document.getElementById("texte-form");
  if (!form) return;
  const area = document.getElementById("texte");
  const result = document.getElementById("verification");
  const token = form.querySelector("input[name=csrf]").value;
  let timer = null;

  function item(text, cls) {
    const li = document.createElement("li");
    li.textContent = text;
    if (cls) li.className = cls;
    return li;
  }

  function show(answer) {
    result.replaceChildren();
    if (!answer.checked) return;
    if (answer.problems.length === 0) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = "Chaque [[…]] du texte nomme un chiffre connu.";
      result.append(p);
      return;
    }
    const p = document.createElement("p");
    p.className = "alert";
    p.textContent = "Chiffres inconnus dans ce texte (la brochure ne pourra pas être construite tant qu'ils restent) :";
    const list = document.createElement("ul");
    list.className = "findings";
    for (const problem of answer.problems) list.append(item(problem.message, "error"));
    result.append(p, list);
  }

  async function check() {
    const body = new URLSearchParams({ texte: area.value, nom: form.dataset.name });
    try {
      const answer = await fetch(form.dataset.check, {
        method: "POST", body, headers: { "X-CSRF-Token": token }, credentials: "same-origin",
      });
      if (answer.ok) show(await answer.json());
    } catch (e) { /* the save checks again */ }
  }

  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });

  const figure = document.getElementById("chiffre");
  const options = new Set(Array.from(document.querySelectorAll("#chiffres option"), (o) => o.value));
  figure.addEventListener("change", function () {
    if (!options.has(figure.value)) return;
    const at = area.selectionStart ?? area.value.length;
    const inserted = "[[" + figure.value + "]]";
    area.setRangeText(inserted, at, area.selectionEnd ?? at, "end");
    figure.value = "";
    area.focus();
    check();
  });

  const pages = document.getElementById("pages");
  async function follow() {
    const current = pages.querySelector(".pages");
    if (!current || current.dataset.pending !== "1") return;
    let again = 1500;  // after a failed request (the server restarting): not in a tight loop
    try {
      // the server answers once the layout under way is done (or after 20 s): asked again soon after
      const answer = await fetch(pages.dataset.src, { credentials: "same-origin" });
      if (answer.ok) { pages.innerHTML = await answer.text(); again = 250; }
    } catch (e) { /* tried again below */ }
    setTimeout(follow, again);
  }
  follow();  // the first request starts the layout of the edition's pages
})();
