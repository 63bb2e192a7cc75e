/* The ballot page without surprises: a progress count and a draft kept in this browser so
   that a reload or a dropped connection loses nothing. Unanswered questions, and whether the
   ballot would still count, are pointed out by the server beside the submit button (the same
   void rule as the results, and the same page with or without this script). The form works without this script; the script only adds to it. The draft holds the
   answers only, under a key made of the campaign and subjects (never the ticket), and is
   deleted once the receipt page shows the ballot is stored. */
(function () {
  "use strict";
  var main = document.querySelector("main");
  if (!main) { return; }

  var clearKey = main.getAttribute("data-clear-draft");
  if (clearKey) {
    try { window.localStorage.removeItem(clearKey); } catch (e) { /* storage disabled */ }
    return;
  }

  var form = document.getElementById("ballot-form");
  var key = main.getAttribute("data-draft-key");
  if (!form || !key) { return; }
  var texts = document.querySelector("[data-text-progress]");
  var progress = form.querySelector("[data-progress]");
  var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
  // a nomination (民主推荐): candidates ticked, at most data-max-marks of them
  var nomination = form.querySelector("[data-max-marks]");
  var marks = Array.prototype.slice.call(form.querySelectorAll("input[data-mark]"));

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function answered(question) {
    return question.querySelector("input:checked") !== null;
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function updateMarks() {
    var ticked = marks.filter(function (box) { return box.checked; }).length;
    var most = parseInt(nomination.getAttribute("data-max-marks"), 10);
    var over = ticked > most;
    progress.textContent = format(texts.getAttribute(over ? "data-text-too-many"
      : "data-text-marks"), { marks: ticked, max: most, over: ticked - most });
    progress.classList.toggle("over", over);
    progress.hidden = false;
  }

  function updateProgress() {
    if (nomination) { updateMarks(); return; }
    var done = questions.filter(answered).length;
    progress.textContent = format(texts.getAttribute("data-text-progress"),
      { done: done, total: questions.length });
    progress.hidden = false;
    questions.forEach(function (question) {
      if (answered(question)) { question.classList.remove("blank"); }
    });
  }

  function saveDraft() {
    var store = storage();
    if (!store) { return; }
    var draft = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if ((element.type === "radio" || element.type === "checkbox") && element.checked) {
        draft[element.name] = element.value;
      }
      if (element.tagName === "TEXTAREA" && element.value) { draft[element.name] = element.value; }
    });
    try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* full or disabled */ }
  }

  function restoreDraft() {
    var store = storage();
    var draft = null;
    try { draft = store && JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
    if (!draft) { return; }
    // ticks the server shows (a re-shown form) are newer than the draft: keep them
    var ticked = marks.some(function (box) { return box.checked; });
    Object.keys(draft).forEach(function (name) {
      var elements = form.elements[name];
      if (!elements) { return; }
      if (elements.tagName === "TEXTAREA") {
        if (!elements.value) { elements.value = draft[name]; }
        return;
      }
      if (elements.type === "checkbox") {
        if (!ticked) { elements.checked = elements.value === draft[name]; }
        return;
      }
      // What the server shows (a re-shown form) is newer than the draft: keep it.
      if (form.querySelector("input[name='" + name + "']:checked")) { return; }
      Array.prototype.forEach.call(elements, function (radio) {
        if (radio.value === draft[name]) { radio.checked = true; }
      });
    });
  }

  function updateCounter(textarea) {
    var counter = textarea.parentNode.querySelector("[data-count]");
    var left = parseInt(textarea.getAttribute("maxlength"), 10) - textarea.value.length;
    counter.textContent = left >= 0
      ? format(texts.getAttribute("data-text-chars"), { count: left })
      : format(texts.getAttribute("data-text-over"), { count: -left });
  }

  /* Each subject's band stays at the top while its questions scroll by; a question jumped to
     ("go to the first") lands below the band, however many lines its name and post take
     (the CSS reads --band, with a fixed fallback without this script). */
  function measureBands() {
    var tallest = 0;
    Array.prototype.forEach.call(form.querySelectorAll(".subject > h2"), function (band) {
      tallest = Math.max(tallest, band.getBoundingClientRect().height);
    });
    if (tallest) { form.style.setProperty("--band", Math.ceil(tallest) + "px"); }
  }

  measureBands();
  window.addEventListener("resize", measureBands);
  restoreDraft();
  updateProgress();
  Array.prototype.forEach.call(form.querySelectorAll("textarea[data-counter]"), updateCounter);

  form.addEventListener("change", function () { updateProgress(); saveDraft(); });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") { updateCounter(event.target); saveDraft(); }
  });
}());
