// Post-test enhancements. The page works without this file: every answer is a plain form field.
// With it: Move up / Move down buttons for ordering questions (WCAG 2.2, 2.5.7: no dragging needed),
// answers saved as the learner goes, and a countdown that is announced politely.
(function () {
  "use strict";

  var form = document.getElementById("attempt-form");
  if (!form) return;
  var status = form.querySelector("[data-save-status]");

  function say(message) {
    if (status) status.textContent = message;
  }

  // --- Ordering: move items with buttons, keeping each item's position select in step. ---
  function renumber(list) {
    Array.prototype.forEach.call(list.children, function (li, index) {
      var select = li.querySelector("select");
      if (select) select.value = String(index + 1);
    });
  }

  function addMoveButtons(list) {
    Array.prototype.forEach.call(list.children, function (li) {
      var text = li.querySelector(".ordering-text").textContent.trim();
      var controls = li.querySelector(".ordering-controls");
      [["up", "Move up"], ["down", "Move down"]].forEach(function (pair) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-outline-secondary btn-sm ordering-move";
        button.dataset.direction = pair[0];
        button.textContent = pair[1];
        button.setAttribute("aria-label", pair[1] + ": " + text);
        controls.appendChild(button);
      });
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.ordering-move");
      if (!button) return;
      var li = button.closest("li");
      var up = button.dataset.direction === "up";
      var sibling = up ? li.previousElementSibling : li.nextElementSibling;
      if (!sibling) return;
      list.insertBefore(li, up ? sibling : sibling.nextElementSibling);
      renumber(list);
      button.focus();
      var position = Array.prototype.indexOf.call(list.children, li) + 1;
      say(li.querySelector(".ordering-text").textContent.trim() + " moved to position " + position + ".");
      scheduleSave();
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll("[data-ordering]"), addMoveButtons);

  // --- Autosave: post the whole form in the background a moment after a change. ---
  var timer = null;
  function save() {
    var data = new FormData(form);
    data.set("action", "save");
    // form.action would be the buttons named "action", not the attribute.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          // A refused question never stops the others being saved: say which, and why.
          var problems = (body.errors || []).map(function (e) {
            return "Question " + e.question + ": " + e.message;
          });
          var unfinished = (body.incomplete || []).map(function (n) {
            return "Question " + n + " is not finished: it counts as unanswered until every item has a position.";
          });
          if (response.ok) say(["Answers saved."].concat(unfinished).join(" "));
          else if (problems.length) say(["Your other answers are saved. Not saved:"].concat(problems, unfinished).join(" "));
          else say(body.error || "Your answers could not be saved.");
        });
      })
      .catch(function () {
        say("You seem to be offline; press Save answers when you are back.");
      });
  }
  function scheduleSave() {
    if (!form.hasAttribute("data-autosave")) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 800);
  }
  form.addEventListener("change", scheduleSave);
  // Tells tests (and anything else watching) that changes from now on are saved automatically.
  form.setAttribute("data-autosave-ready", "true");

  // --- Countdown: shown every second, announced only at a few moments so it does not chatter. ---
  var limit = document.querySelector("[data-deadline]");
  if (limit) {
    var deadline = new Date(limit.dataset.deadline).getTime();
    var shown = limit.querySelector("[data-countdown]");
    var announce = limit.querySelector("[data-countdown-announce]");
    var announced = {};
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      shown.textContent = minutes + " min " + (left % 60) + " s left.";
      [10, 5, 1].forEach(function (mark) {
        if (minutes < mark && !announced[mark] && left > 0) {
          announced[mark] = true;
          announce.textContent = "Less than " + mark + " minute" + (mark > 1 ? "s" : "") + " left.";
        }
      });
      if (left === 0) {
        announce.textContent = "Time is up. Answers saved from now on do not count.";
        window.clearInterval(interval);
      }
    };
    var interval = window.setInterval(tick, 1000);
    tick();
  }
})();
