/*
 * sitegen: the "Copy BibTeX" button of a paper page's Cite block (templates/_cite.html).
 *
 * Progressive enhancement: without JavaScript, or where the Clipboard API is
 * missing (an old browser, a page served over plain http from another host),
 * the block is the entry as selectable text and links to the files, and no
 * button is shown. Where it is there, a button and a status line are added;
 * the status (role="status", polite) tells screen readers "Copied".
 */
(function () {
  "use strict";

  var clipboard = typeof navigator !== "undefined" ? navigator.clipboard : null;
  if (!clipboard || typeof clipboard.writeText !== "function") {
    return;
  }

  function enhance(block) {
    var entry = block.querySelector(".cite-entry");
    if (!entry || block.querySelector(".cite-copy")) {
      return;
    }
    var actions = document.createElement("div");
    actions.className = "cite-actions";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "cite-copy";
    button.textContent = "Copy BibTeX";
    var status = document.createElement("span");
    status.className = "cite-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    actions.appendChild(button);
    actions.appendChild(status);
    entry.parentNode.insertBefore(actions, entry.nextSibling);

    var timer = null;
    function say(message) {
      // Emptied first, so saying "Copied" twice in a row is announced twice.
      window.clearTimeout(timer);
      status.textContent = "";
      timer = window.setTimeout(function () {
        status.textContent = message;
        timer = window.setTimeout(function () { status.textContent = ""; }, 8000);
      }, 60);
    }

    button.addEventListener("click", function () {
      clipboard.writeText(entry.textContent).then(
        function () { say("Copied"); },
        function () { say("Could not copy: select the entry and copy it"); }
      );
    });
  }

  var blocks = document.querySelectorAll("[data-cite]");
  for (var i = 0; i < blocks.length; i += 1) {
    enhance(blocks[i]);
  }
})();
