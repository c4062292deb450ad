/* Copy buttons: <button data-copy="<id of an input>" hidden> copies that input's value. The
 * button stays hidden without this script (and where the clipboard is unavailable, e.g. a
 * page not served over https or localhost); the read-only input can still be selected. */
(function () {
  "use strict";

  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        source.select();
      });
    });
  });
})();
